import { useEffect, useState } from "preact/hooks";
import * as desktop from "../../sdk/desktop";
import { DEFAULT_SERVER } from "../../sdk";
import { loadSettings } from "../prefs";
import { bridgeURL, canConnect, devSignIn, reportError, signIn } from "../session";
import { useStore } from "../store";
import { Logo } from "./Icon";

/** The sign-in screen. */
export function SignIn() {
  const phase = useStore((s) => s.phase);
  const [server, setServer] = useState(DEFAULT_SERVER);
  const [appID, setAppID] = useState("");
  const [userID, setUserID] = useState("");
  const [userSig, setUserSig] = useState("");
  const busy = phase === "signing-in";
  const bridge = bridgeURL();

  useEffect(() => {
    void loadSettings().then((s) => {
      const a = s.lastAccount;
      if (a) {
        setServer(a.server || DEFAULT_SERVER);
        setAppID(String(a.SDKAppID || ""));
        setUserID(a.userID);
      }
    });
  }, []);

  const submit = async (e?: Event) => {
    e?.preventDefault();
    const SDKAppID = Number(appID);
    if (!SDKAppID || !userID.trim() || !userSig.trim()) {
      reportError({ code: 2905, message: "SDKAppID, userID and UserSig are all needed" });
      return;
    }
    await signIn({ server: server.trim(), SDKAppID, userID: userID.trim(), userSig: userSig.trim() });
  };

  const dev = async () => {
    if (!userID.trim()) {
      reportError({ code: 2905, message: "Type a userID first" });
      return;
    }
    try {
      const r = await devSignIn(server.trim(), userID.trim());
      setAppID(String(r.SDKAppID));
      setUserSig(r.userSig);
      await signIn({ server: server.trim(), SDKAppID: Number(r.SDKAppID), userID: r.userID || userID.trim(), userSig: r.userSig });
    } catch (err) {
      reportError(err);
    }
  };

  return (
    <div class="signin">
      <form class="signin-card" onSubmit={submit}>
        <div class="brand">
          <div class="brand-logo"><Logo size={56} /></div>
          <h1>Pigeon</h1>
          <p class="muted">Sign in to your messenger</p>
        </div>
        {!canConnect() && (
          <p class="warn">
            This page is not inside the Pigeon app. Open it with <code>?bridge=ws://127.0.0.1:PORT</code> of a
            running <code>pigeon bridge --listen</code>.
          </p>
        )}
        <label>
          <span>Server</span>
          <input data-testid="signin-server" value={server} onInput={(e) => setServer(e.currentTarget.value)} placeholder="ws://127.0.0.1:8080" />
          {bridge && <small class="muted">Through the bridge at {bridge}</small>}
        </label>
        <label>
          <span>SDKAppID</span>
          <input data-testid="signin-appid" inputMode="numeric" value={appID} onInput={(e) => setAppID(e.currentTarget.value)} placeholder="1400000000" />
        </label>
        <label>
          <span>User ID</span>
          <input data-testid="signin-user" value={userID} onInput={(e) => setUserID(e.currentTarget.value)} placeholder="alice" autoComplete="username" />
        </label>
        <label>
          <span>UserSig</span>
          <input data-testid="signin-usersig" type="password" value={userSig} onInput={(e) => setUserSig(e.currentTarget.value)} placeholder="eJw…" />
        </label>
        <button class="btn primary wide" type="submit" data-testid="signin-submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <button class="btn ghost wide" type="button" data-testid="signin-dev" disabled={busy} onClick={dev}
          title="Ask a local server started with --dev-sign-in for a UserSig">
          Dev sign-in (local server)
        </button>
        {!desktop.available() && bridge && <p class="muted small">Browser mode: file picking, downloads and notifications are app-only.</p>}
      </form>
    </div>
  );
}
