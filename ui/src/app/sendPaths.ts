// Sending local files by path: the ONE code path of drag-and-drop, the file picker and the
// end-to-end test (window.pigeonTest.sendPaths).
import * as desktop from "../sdk/desktop";
import type { FileInfo } from "../sdk/desktop";
import { baseName, createMethodFor, kindOfPath, targetOf, type Msg } from "./logic";
import { getChat, reportError, sendMessage } from "./session";
import { setState } from "./store";

/** File facts from the shell, or (in a browser) from the path alone. */
export async function filesOf(paths: string[]): Promise<FileInfo[]> {
  if (desktop.available()) return desktop.fileInfo(paths);
  return paths.map((path) => ({ path, name: baseName(path), size: 0, kind: kindOfPath(path), thumbnail: null }));
}

/**
 * Sends local files to a conversation, one message each: an image, video, audio or file
 * message by the file's kind, with `payload.file` = the path, showing upload progress.
 * Resolves with whether each one was sent.
 */
export async function sendPaths(
  conversationID: string,
  paths: string[],
  fileInfo: (paths: string[]) => Promise<FileInfo[]> = filesOf,
): Promise<boolean[]> {
  const chat = getChat();
  if (!chat) throw new Error("not signed in");
  if (!paths.length) return [];
  let infos: FileInfo[];
  try {
    infos = await fileInfo(paths);
  } catch (e) {
    reportError(e);
    return paths.map(() => false);
  }
  const t = targetOf(conversationID);
  const results: boolean[] = [];
  for (const info of infos) {
    let localID = "";
    const method = createMethodFor(info.kind);
    let msg: Msg;
    try {
      msg = chat[method]({
        to: t.id,
        conversationType: t.type,
        payload: { file: info.path },
        onProgress: (fraction: number) => {
          if (localID) setState((s) => ({ uploads: { ...s.uploads, [localID]: fraction } }));
        },
      }) as Msg;
    } catch (e) {
      reportError(e);
      results.push(false);
      continue;
    }
    localID = msg.ID;
    // What the row shows while the upload runs.
    msg.__local = { name: info.name, size: info.size, thumbnail: info.thumbnail, kind: info.kind };
    setState((s) => ({ uploads: { ...s.uploads, [localID]: 0 } }));
    results.push(await sendMessage(conversationID, msg));
  }
  return results;
}

/** Opens the native picker and sends what was chosen. */
export async function pickAndSend(conversationID: string): Promise<void> {
  if (!desktop.available()) return;
  try {
    const paths = await desktop.pickFiles();
    if (paths.length) await sendPaths(conversationID, paths);
  } catch (e) {
    reportError(e);
  }
}
