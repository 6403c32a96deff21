// Shared helpers of the browser checks (not part of `npm test`): headless Chromium against a
// real SDK behind `pigeon bridge --listen`. playwright-core comes from PW_DIR (default /tmp/pw).
import { createRequire } from "node:module";

const require = createRequire(`${process.env.PW_DIR ?? "/tmp/pw"}/package.json`);
const { chromium } = require("playwright-core");

export const UI = process.env.UI_URL ?? "http://localhost:5173/";
export const SHOTS = process.env.SHOTS ?? "/tmp/ui-shots";

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });
}

/** A page signed in as `user` through the bridge at `bridgePort` (dev sign-in). */
export async function signedIn(browser, user, bridgePort, server = "ws://127.0.0.1:18080") {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  page.on("console", (m) => m.type() === "error" && console.log(`[${user} console]`, m.text()));
  page.on("pageerror", (e) => console.log(`[${user} pageerror]`, e.message));
  await page.goto(`${UI}?bridge=ws://127.0.0.1:${bridgePort}`);
  await page.fill('[data-testid="signin-server"]', server);
  await page.fill('[data-testid="signin-user"]', user);
  await page.click('[data-testid="signin-dev"]');
  await page.waitForSelector('[data-testid="main"]', { timeout: 15000 });
  return page;
}
