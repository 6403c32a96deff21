// A wider browser run against the real SDK: friends, groups, @mentions, replies, reactions,
// recall, calls, the offline banner and the kicked-out dialog.
//   node test/browser/features.mjs   (as smoke.mjs; SERVER_RESTART="cmd" restarts the server)
import { execSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { launch, signedIn, SHOTS } from "./pw.mjs";

mkdirSync(SHOTS, { recursive: true });
const A = process.env.USER_A ?? "alice";
const B = process.env.USER_B ?? "bob";
const browser = await launch();
const shot = (p, name) => p.screenshot({ path: `${SHOTS}/${name}.png` });
const step = (s) => console.log(`-- ${s}`);
const T = { timeout: 10000 };
try {
  const alice = await signedIn(browser, A, 17357);
  const bob = await signedIn(browser, B, 17358);

  step("friend request and accept");
  await alice.click('[data-testid="rail-contacts"]');
  await alice.click('[data-testid="add-friend"]');
  await alice.fill('[data-testid="add-friend-user"]', B);
  await alice.click("text=Send request");
  await alice.waitForTimeout(1500);
  if (await alice.$(".modal")) {
    console.log("request refused:", await alice.textContent('[data-testid="toast"]').catch(() => "?"));
    await alice.keyboard.press("Escape");
  }
  await bob.click('[data-testid="rail-contacts"]');
  await bob.click("text=Requests");
  const app = await bob.waitForSelector('[data-testid="application-item"]', T).catch(() => null);
  if (app) {
    await shot(bob, "05-friend-request");
    await bob.click('[data-testid="application-item"] >> text=Accept');
  } else console.log("no application shown (already friends or allow-any)");
  await alice.click("text=Friends");
  await alice.waitForSelector('[data-testid="friend-item"]', T);
  await shot(alice, "06-contacts");

  step("create a group with bob");
  await alice.click("text=Groups");
  await alice.click('[data-testid="create-group"]');
  await alice.fill('[data-testid="group-name"]', "Weekend trip");
  await alice.fill('[data-testid="group-members"]', B);
  await alice.click('[data-testid="group-create"]');
  const gv = await alice.waitForSelector('[data-testid="chat-view"][data-conversation-id^="GROUP"]', T);
  const gid = await gv.getAttribute("data-conversation-id");
  console.log("group", gid);

  step("@mention bob");
  await alice.click('[data-testid="composer-input"]');
  await alice.keyboard.type("Hi @b");
  await alice.waitForSelector('[data-testid="mention-list"]', T);
  await shot(alice, "07-mention");
  await alice.keyboard.press("Enter");
  await alice.keyboard.type("are you coming?");
  await alice.keyboard.press("Enter");
  await alice.waitForSelector('[data-testid="message"][data-flow="out"] >> text=are you coming?', T);

  await bob.click('[data-testid="rail-chats"]');
  const grow = `[data-testid="conv-item"][data-conversation-id="${gid}"]`;
  await bob.waitForSelector(grow, T);
  console.log("bob preview:", await bob.textContent(`${grow} [data-testid="conv-preview"]`));
  await shot(bob, "08-at-me");

  step("bob replies with a quote and reacts");
  await bob.click(grow);
  const inMsg = '[data-testid="message"][data-flow="in"] >> text=are you coming?';
  await bob.waitForSelector(inMsg, T);
  await bob.click(inMsg, { button: "right" });
  await bob.click('[data-testid="msg-reply"]');
  await bob.keyboard.type("Sure, count me in 🎉");
  await bob.keyboard.press("Enter");
  await bob.click(inMsg, { button: "right" });
  await bob.click(".reaction-pick >> nth=0");
  await alice.waitForSelector(".reaction", T);
  await alice.waitForSelector(".quote", T);
  await alice.waitForTimeout(500);
  await shot(alice, "09-group-reply-reaction");

  step("alice recalls a message");
  await alice.fill('[data-testid="composer-input"]', "oops, wrong chat");
  await alice.press('[data-testid="composer-input"]', "Enter");
  const oops = '[data-testid="message"][data-flow="out"] >> text=oops, wrong chat';
  await alice.waitForSelector(oops, T);
  await bob.waitForSelector('[data-testid="message"] >> text=oops, wrong chat', T);
  await alice.click(oops, { button: "right" });
  await alice.click('[data-testid="msg-revoke"]');
  await bob.waitForSelector("text=recalled a message", T);

  step("group info panel");
  await alice.click('[data-testid="info-toggle"]');
  await alice.waitForSelector('[data-testid="info-panel"] .member', T);
  await shot(alice, "10-group-info");
  await shot(bob, "11-bob-group");

  step("call: alice calls bob, bob declines");
  await alice.click(`[data-testid="rail-chats"]`);
  await alice.click(`[data-testid="conv-item"][data-conversation-id="C2C${B}"]`);
  await alice.click('[data-testid="call-start"]');
  await alice.waitForSelector('[data-testid="call-dialog"]', T);
  await bob.waitForSelector('[data-testid="call-dialog"] [data-testid="call-reject"]', T);
  await shot(bob, "12-incoming-call");
  await bob.click('[data-testid="call-reject"]');
  await alice.waitForSelector('[data-testid="call-dialog"]', { state: "detached", timeout: 10000 });
  console.log("call declined and closed");

  step("settings and profile");
  await alice.click('[data-testid="rail-profile"]');
  await alice.fill('[data-testid="profile-nick"]', "Alice Liddell");
  await alice.click('[data-testid="profile-save"]');
  await alice.waitForSelector('[data-testid="toast"] >> text=Profile saved', T);
  await shot(alice, "13-profile");
  await alice.click('[data-testid="rail-settings"]');
  await alice.waitForSelector('[data-testid="settings"]', T);
  await shot(alice, "14-settings");

  if (process.env.SERVER_RESTART) {
    step("offline banner");
    execSync(process.env.SERVER_STOP);
    await alice.waitForSelector('[data-testid="offline-banner"]', { timeout: 20000 });
    await alice.click('[data-testid="rail-chats"]');
    await shot(alice, "15-offline");
    execSync(process.env.SERVER_RESTART);
    await alice.waitForSelector('[data-testid="offline-banner"]', { state: "detached", timeout: 30000 });
    console.log("banner gone after reconnect");
  }

  if (process.env.KICK_BRIDGE) {
    step("kicked out: alice signs in elsewhere");
    const other = await signedIn(browser, A, Number(process.env.KICK_BRIDGE));
    await alice.waitForSelector('[data-testid="kicked-dialog"]', { timeout: 15000 });
    await shot(alice, "16-kicked");
    console.log("kicked:", await alice.textContent('[data-testid="kicked-dialog"] p'));
    await alice.click('[data-testid="kicked-ok"]');
    await alice.waitForSelector('[data-testid="signin-submit"]', T);
    await other.close();
  }
  console.log("OK");
} catch (e) {
  console.error("FAILED", e);
  await Promise.all(browser.contexts().flatMap((c) => c.pages()).map((p, i) => p.screenshot({ path: `${SHOTS}/fail-${i}.png` }).catch(() => {})));
  process.exitCode = 1;
} finally {
  await browser.close();
}
