import { useEffect } from "preact/hooks";
import * as desktop from "../sdk/desktop";
import { loadSettings } from "./prefs";
import { canConnect, openConversation, signIn, toast } from "./session";
import { sendPaths } from "./sendPaths";
import { getState, setState, useStore } from "./store";
import { CallDialog, KickedDialog, OfflineBanner, Toasts } from "./components/Dialogs";
import { Main } from "./components/Main";
import { SignIn } from "./components/SignIn";

/** What the end-to-end test may use: the drop handler's send path and a read-only snapshot. */
export function installTestHooks(): void {
  (window as any).pigeonTest = Object.freeze({
    sendPaths: (conversationID: string, paths: string[]) => sendPaths(conversationID, paths),
    state: () => JSON.parse(JSON.stringify(getState())),
  });
}

/** Wires the desktop shell's events (nothing in a browser). */
async function wireDesktop(): Promise<void> {
  if (!desktop.available()) return;
  await desktop.onOpenConversation((id) => {
    void desktop.focus().catch(() => {});
    if (getState().phase === "main") void openConversation(id);
  });
  await desktop.onDownloadProgress((url, percent) =>
    setState((s) => ({ downloads: { ...s.downloads, [url]: { ...(s.downloads[url] ?? {}), percent } } })),
  );
  await desktop.onDragDrop((kind, paths) => {
    if (getState().phase !== "main") return;
    if (kind === "over") {
      if (!getState().dragOver) setState({ dragOver: true });
    } else if (kind === "leave") {
      setState({ dragOver: false });
    } else {
      setState({ dragOver: false });
      const id = getState().currentID;
      if (!id) toast("Open a chat first, then drop the files on it");
      else if (paths.length) void sendPaths(id, paths);
    }
  });
}

/** The app: sign-in or the main screen, plus the global dialogs. */
export function App() {
  const phase = useStore((s) => s.phase);
  useEffect(() => {
    installTestHooks();
    void wireDesktop().catch((e) => console.warn("desktop events", e));
    void loadSettings().then((s) => {
      if (s.lastAccount && canConnect() && getState().phase === "signin") void signIn(s.lastAccount);
    });
  }, []);
  return (
    <div class="app">
      <OfflineBanner />
      {phase === "main" ? <Main /> : <SignIn />}
      <CallDialog />
      <KickedDialog />
      <Toasts />
    </div>
  );
}
