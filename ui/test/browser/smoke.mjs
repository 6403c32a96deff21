// End-to-end smoke run in headless Chromium: two users chat through the real SDK.
//   node test/browser/smoke.mjs   (server on 18080 with --dev-sign-in, bridges on 17357/17358, vite on 5173)
import { mkdirSync } from "node:fs";
import { launch, signedIn, SHOTS } from "./pw.mjs";

mkdirSync(SHOTS, { recursive: true });
const A = process.env.USER_A ?? "alice";
const B = process.env.USER_B ?? "bob";
const browser = await launch();
const shot = (p, name) => p.screenshot({ path: `${SHOTS}/${name}.png` });
const step = (s) => console.log(`-- ${s}`);
try {
  const alice = await signedIn(browser, A, 17357);
  const bob = await signedIn(browser, B, 17358);
  await shot(alice, "01-main-empty");

  step("bob starts a chat with alice and sends");
  await bob.click('[data-testid="new-chat"]');
  await bob.fill('[data-testid="new-chat-user"]', A);
  await bob.click('[data-testid="new-chat-start"]');
  await bob.waitForSelector(`[data-testid="chat-view"][data-conversation-id="C2C${A}"]`);
  const text = `hello from ${B} ${Date.now()}`;
  await bob.fill('[data-testid="composer-input"]', text);
  await bob.press('[data-testid="composer-input"]', "Enter");
  await bob.waitForSelector(`[data-testid="message"][data-flow="out"] >> text=${text}`);

  step("alice sees the unread badge");
  const row = `[data-testid="conv-item"][data-conversation-id="C2C${B}"]`;
  await alice.waitForSelector(`${row} [data-testid="unread-badge"]`, { timeout: 10000 });
  console.log("badge", await alice.textContent(`${row} [data-testid="unread-badge"]`), "preview", await alice.textContent(`${row} [data-testid="conv-preview"]`));
  console.log("total", await alice.textContent('[data-testid="total-unread"]'));
  await shot(alice, "02-unread");

  step("alice opens and replies");
  await alice.click(row);
  await alice.waitForSelector(`[data-testid="message"][data-flow="in"] >> text=${text}`);
  await alice.waitForFunction((r) => !document.querySelector(`${r} [data-testid="unread-badge"]`), row, { timeout: 10000 });
  const reply = `hi ${B}! 😀`;
  await alice.fill('[data-testid="composer-input"]', reply);
  await alice.click('[data-testid="composer-send"]');
  await bob.waitForSelector(`[data-testid="message"][data-flow="in"] >> text=${reply}`, { timeout: 10000 });

  step("alice sends files through sendPaths");
  const sent = await alice.evaluate((b) => window.pigeonTest.sendPaths(`C2C${b}`, ["/tmp/uitest/sunset.png", "/tmp/uitest/report.pdf"]), B);
  console.log("sendPaths", sent);
  await bob.waitForSelector('[data-testid="file-card"]', { timeout: 15000 });
  await bob.waitForSelector('[data-testid="message-image"]', { timeout: 15000 });
  await alice.waitForTimeout(800);
  await shot(alice, "03-chat-alice");
  await shot(bob, "04-chat-bob");
  const st = await alice.evaluate(() => window.pigeonTest.state());
  console.log("state keys", Object.keys(st).length, "conversations", st.conversations.length);
  console.log("OK");
} catch (e) {
  console.error("FAILED", e);
  process.exitCode = 1;
} finally {
  await browser.close();
}
