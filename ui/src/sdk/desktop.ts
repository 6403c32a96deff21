// What the desktop shell adds beyond the SDK (src-tauri's `app_*` commands): dev sign-in,
// file picker and file facts for drag-and-drop, downloads, the tray, settings, and the
// window events for notification clicks and download progress.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { inTauri } from "./transport";

/** A file about to be sent: what the composer shows. */
export interface FileInfo {
  path: string;
  name: string;
  size: number;
  kind: "image" | "video" | "audio" | "file";
  thumbnail: string | null;
}

/** The last account, for signing in again on start. */
export interface Account {
  server: string;
  SDKAppID: number;
  userID: string;
  userSig: string;
}

/** The app's settings. */
export interface Settings {
  notifications: boolean;
  notificationPreviews: boolean;
  lastAccount: Account | null;
}

/** What the tray shows. */
export interface TrayView {
  unread: number;
  tooltip: string;
  menuLabel: string;
  notifications: number;
}

/** Whether the desktop commands exist (false in a plain browser). */
export const available = inTauri;

/** Asks a local server started with --dev-sign-in for a UserSig. */
export function devSignIn(server: string, userID: string): Promise<{ SDKAppID: number; userID: string; userSig: string }> {
  return invoke("app_dev_sign_in", { server, userId: userID });
}

/** The native file picker; chosen paths. */
export function pickFiles(): Promise<string[]> {
  return invoke("app_pick_files");
}

/** Facts and thumbnails for local paths (drops, the picker). */
export function fileInfo(paths: string[]): Promise<FileInfo[]> {
  return invoke("app_file_info", { paths });
}

/** A PNG data URL thumbnail of a local image. */
export function thumbnail(path: string, side?: number): Promise<string> {
  return invoke("app_thumbnail", { path, side });
}

/** Downloads a URL into the Downloads folder; the saved path. */
export function download(url: string, fileName: string): Promise<string> {
  return invoke("app_download", { url, fileName });
}

/** Opens the folder holding a file. */
export function openFolder(path: string): Promise<void> {
  return invoke("app_open_folder", { path });
}

/** What the tray shows now. */
export function trayState(): Promise<TrayView> {
  return invoke("app_tray_state");
}

/** The app's settings. */
export function settings(): Promise<Settings> {
  return invoke("app_settings");
}

/** Saves the app's settings. */
export function setSettings(value: Settings): Promise<void> {
  return invoke("app_set_settings", { settings: value });
}

/** Shows and focuses the window. */
export function focus(): Promise<void> {
  return invoke("app_focus");
}

/** Calls `handler(conversationID)` when a notification is clicked. */
export function onOpenConversation(handler: (conversationID: string) => void): Promise<() => void> {
  return listen<{ conversationID: string }>("pigeon:open-conversation", (e) => handler(e.payload.conversationID));
}

/** Calls `handler(url, percent)` as downloads progress. */
export function onDownloadProgress(handler: (url: string, percent: number) => void): Promise<() => void> {
  return listen<{ url: string; percent: number }>("pigeon:download-progress", (e) =>
    handler(e.payload.url, e.payload.percent),
  );
}

/** Drag-and-drop of files onto the window: `over` while hovering, `drop` with the paths. */
export async function onDragDrop(handler: (kind: "over" | "drop" | "leave", paths: string[]) => void): Promise<() => void> {
  const { getCurrentWebview } = await import("@tauri-apps/api/webview");
  return getCurrentWebview().onDragDropEvent((e) => {
    const p = e.payload;
    if (p.type === "over" || p.type === "enter") handler("over", []);
    else if (p.type === "drop") handler("drop", p.paths);
    else handler("leave", []);
  });
}
