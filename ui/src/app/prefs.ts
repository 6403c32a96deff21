// The app's settings: the shell's (desktop.settings) inside the app, localStorage in a browser.
import * as desktop from "../sdk/desktop";
import type { Settings } from "../sdk/desktop";

const KEY = "pigeon.settings";
const DEFAULTS: Settings = { notifications: true, notificationPreviews: true, lastAccount: null };

/** The settings (defaults when none are stored or the store fails). */
export async function loadSettings(): Promise<Settings> {
  try {
    if (desktop.available()) return { ...DEFAULTS, ...(await desktop.settings()) };
    const raw = typeof localStorage !== "undefined" ? localStorage.getItem(KEY) : null;
    return raw ? { ...DEFAULTS, ...JSON.parse(raw) } : { ...DEFAULTS };
  } catch {
    return { ...DEFAULTS };
  }
}

/** Saves the settings. */
export async function saveSettings(s: Settings): Promise<void> {
  try {
    if (desktop.available()) await desktop.setSettings(s);
    else if (typeof localStorage !== "undefined") localStorage.setItem(KEY, JSON.stringify(s));
  } catch (e) {
    console.warn("could not save settings", e);
  }
}
