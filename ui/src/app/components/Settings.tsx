import { useEffect, useState } from "preact/hooks";
import { TYPES } from "../../sdk";
import * as desktop from "../../sdk/desktop";
import { loadSettings, saveSettings } from "../prefs";
import { getChat, run, signOut, toast } from "../session";
import { setState, useStore } from "../store";
import { Avatar } from "./Avatar";

/** Notifications, do-not-disturb, sign out. */
export function SettingsScreen() {
  const settings = useStore((s) => s.settings);
  const account = useStore((s) => s.account);
  const [dnd, setDnd] = useState<boolean | null>(null);
  useEffect(() => {
    void getChat()
      ?.getAllReceiveMessageOpt()
      .then((r: any) => setDnd(r.data?.messageRemindType === TYPES.MSG_REMIND_ACPT_NOT_NOTE))
      .catch(() => setDnd(false));
  }, []);
  const set = async (patch: Partial<{ notifications: boolean; notificationPreviews: boolean }>) => {
    const s = await loadSettings();
    const next = { ...s, ...patch };
    await saveSettings(next);
    setState({ settings: { notifications: next.notifications, notificationPreviews: next.notificationPreviews } });
  };
  const setDND = async (on: boolean) => {
    const opts = on
      ? { messageRemindType: TYPES.MSG_REMIND_ACPT_NOT_NOTE, startHour: 0, startMinute: 0, startSecond: 0, duration: 24 * 60 * 60, isRepeated: true }
      : { messageRemindType: TYPES.MSG_REMIND_ACPT_AND_NOTE };
    if ((await run(getChat()!.setAllReceiveMessageOpt(opts))) !== undefined) {
      setDnd(on);
      toast(on ? "Do not disturb is on" : "Do not disturb is off");
    }
  };
  return (
    <div class="page" data-testid="settings">
      <h2>Settings</h2>
      <div class="card">
        <h3>Notifications</h3>
        {!desktop.available() && <p class="muted small">Desktop notifications are shown by the Pigeon app.</p>}
        <label class="field check">
          <input type="checkbox" checked={settings?.notifications ?? true} onChange={(e) => void set({ notifications: e.currentTarget.checked })} data-testid="setting-notifications" />
          <span>Show notifications for new messages</span>
        </label>
        <label class="field check">
          <input
            type="checkbox"
            checked={settings?.notificationPreviews ?? true}
            disabled={!(settings?.notifications ?? true)}
            onChange={(e) => void set({ notificationPreviews: e.currentTarget.checked })}
          />
          <span>Show message text in notifications</span>
        </label>
        <label class="field check">
          <input type="checkbox" checked={!!dnd} disabled={dnd === null} onChange={(e) => void setDND(e.currentTarget.checked)} data-testid="setting-dnd" />
          <span>Do not disturb (all chats)</span>
        </label>
      </div>
      <div class="card">
        <h3>Account</h3>
        {account && (
          <div class="account-row">
            <Avatar id={account.userID} name={account.userID} size={36} />
            <div>
              <div>{account.userID}</div>
              <div class="muted small">
                {account.server} · SDKAppID {account.SDKAppID}
              </div>
            </div>
          </div>
        )}
        <button class="btn danger" onClick={() => void signOut()} data-testid="sign-out">
          Sign out
        </button>
      </div>
    </div>
  );
}
