import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import {
  hostPage,
  noSeriousAxeViolation,
  openRoom,
  sendFrom,
  skipBrowser as skip,
  useBrowser,
  useHostSite,
  watchPage,
  widget,
} from './browser-helpers.js';
import { startApp } from './helpers.js';
import { moderationEnv, token } from './moderation-helpers.js';

const browser = useBrowser();
const host = useHostSite();

const badge = (page: Page) => page.locator('roomcast-chat [part="badge"]');
const launcher = (page: Page) => page.locator('roomcast-chat [part="launcher"]');
const message = (page: Page, text: string) => page.locator('li.message', { has: page.locator('[part="text"]', { hasText: text }) });

/**
 * The live regions around an element, crossing shadow roots: an `aria-live` other than `off`, or a
 * role that is live by itself.
 */
function liveRegionsAround(locator: Locator): Promise<string[]> {
  return locator.evaluate((el) => {
    const found: string[] = [];
    for (let n: Node | null = el; n; n = n.parentNode instanceof ShadowRoot ? n.parentNode.host : n.parentNode) {
      if (!(n instanceof Element)) continue;
      const live = n.getAttribute('aria-live');
      if (live ? live !== 'off' : ['log', 'status', 'alert', 'marquee', 'timer'].includes(n.getAttribute('role') ?? '')) {
        found.push(n.outerHTML.slice(0, 60));
      }
    }
    return found;
  });
}

/** What the room's live region has read out: one line per new message of someone else. */
const announced = (page: Page) => page.locator('roomcast-room [role="log"] p');

/** Says whether the page's document is visible, as switching tabs does (headless pages are always visible). */
async function setVisible(page: Page, visible: boolean): Promise<void> {
  // A string: tsx would name the getter with a helper the page does not have.
  await page.evaluate(`Object.defineProperty(document, 'visibilityState', { configurable: true, get() { return '${visible ? 'visible' : 'hidden'}'; } });
    document.dispatchEvent(new Event('visibilitychange'));`);
}

describe('read receipts across devices (Chromium)', () => {
  test('one user on a laptop and a phone: one unread count, "Seen by" for the sender, the divider and the title count', {
    skip,
  }, async () => {
    const app = await startApp({ ...moderationEnv, ALLOWED_ORIGINS: host.origin });
    const ann = await token({ sub: 'ann', name: 'Ann' });
    const url = host.page('/reads', hostPage(app.url, widget(`room="reads" token="${ann}"`)));
    const open = async (options: Parameters<ReturnType<typeof browser>['newContext']>[0]) => {
      const context = await browser().newContext(options);
      const page = await context.newPage();
      const watched = watchPage(page);
      await page.goto(url);
      await page.locator('roomcast-chat [part="status"].connected').waitFor({ state: 'attached', timeout: 10_000 });
      return { page, ...watched };
    };
    const laptop = await open({ viewport: { width: 1280, height: 800 } });
    const phone = await open({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

    // Ben, a guest on the room page, writes to Ann: both of her devices count it.
    const ben = await openRoom(app.url, 'reads', 'Ben', browser());
    await sendFrom(ben.page, 'reads', 'Hi Ann, are you there?');
    for (const { page } of [laptop, phone]) await badge(page).filter({ hasText: /^1$/ }).waitFor({ timeout: 5_000 });
    assert.equal(await launcher(phone.page).getAttribute('aria-label'), 'Chat, 1 unread');

    // She reads on the laptop: the phone's badge goes, and Ben sees that she saw it.
    await launcher(laptop.page).click();
    for (const { page } of [laptop, phone]) await badge(page).waitFor({ state: 'detached', timeout: 5_000 });
    const seen = message(ben.page, 'Hi Ann').locator('[part="seen-by"]');
    await seen.waitFor({ timeout: 5_000 });
    assert.equal(await seen.textContent(), 'Seen by Ann');
    assert.equal(await ben.page.locator('[part="seen-by"]').count(), 1, 'one line for one reader');
    assert.equal(await laptop.page.locator('roomcast-chat [part="seen-by"]').count(), 0, 'Ben has said nothing of reading');
    // Screen readers would read every "Seen by" out: it is in no live region; the list is not one.
    assert.deepEqual(await liveRegionsAround(seen), []);
    assert.deepEqual(await liveRegionsAround(message(ben.page, 'Hi Ann')), []);

    // Ben's tab goes to the background while Ann answers: his title counts; back, it is read.
    await setVisible(ben.page, false);
    await sendFrom(laptop.page, 'reads', 'Yes!');
    await sendFrom(laptop.page, 'reads', 'What is up?');
    await ben.page.waitForFunction(() => document.title === '(2) #reads · roomcast', undefined, { timeout: 5_000 });
    await setVisible(ben.page, true);
    await ben.page.waitForFunction(() => document.title === '#reads · roomcast', undefined, { timeout: 5_000 });
    // Ben read Ann's answers: "Seen by Ben" under her newest, on both her devices (the phone's panel opened to look).
    await message(laptop.page, 'What is up?').locator('[part="seen-by"]').filter({ hasText: 'Seen by Ben' }).waitFor({ timeout: 5_000 });
    // Ben's screen reader heard Ann's two new messages, once each, and nothing else: not his own
    // message, not the "Seen by" lines that came and moved meanwhile.
    await announced(ben.page).filter({ hasText: 'What is up?' }).waitFor({ state: 'attached', timeout: 5_000 });
    assert.deepEqual(await announced(ben.page).allTextContents(), ['Ann: Yes!', 'Ann: What is up?']);

    // The laptop's panel closes; Ben writes twice. On entering again (a reload), "New messages"
    // stands before the first of them, and stays when they are read.
    await laptop.page.keyboard.press('Escape');
    await sendFrom(ben.page, 'reads', 'A long story:');
    await sendFrom(ben.page, 'reads', 'it starts here');
    await badge(phone.page).filter({ hasText: /^2$/ }).waitFor({ timeout: 5_000 });
    await laptop.page.reload();
    await badge(laptop.page).filter({ hasText: /^2$/ }).waitFor({ timeout: 10_000 });
    await launcher(laptop.page).click();
    const divider = laptop.page.locator('roomcast-chat [part="unread-divider"]');
    await divider.waitFor({ timeout: 5_000 });
    assert.equal(await divider.count(), 1);
    assert.equal(await divider.textContent().then((t) => t?.trim()), 'New messages');
    const dividedAt = await divider.evaluate((el) => el.closest('li')?.querySelector('[part="text"]')?.textContent);
    assert.equal(dividedAt, 'A long story:');
    await badge(phone.page).waitFor({ state: 'detached', timeout: 5_000 });
    assert.equal(await divider.count(), 1, 'reading does not move or remove the divider');
    await laptop.page.screenshot({ path: 'docs/reads-laptop.png' });
    await noSeriousAxeViolation(laptop.page, 'the open panel with the divider');

    // The phone (it came before she had read anything here: no divider) shows the same.
    await launcher(phone.page).tap();
    const panel = phone.page.locator('roomcast-chat [part="panel"]');
    await panel.waitFor();
    await message(phone.page, 'it starts here').waitFor();
    await panel.evaluate((el) => Promise.all(el.getAnimations({ subtree: true }).map((a) => a.finished)));
    await phone.page.screenshot({ path: 'docs/reads-phone.png' });
    await ben.page.screenshot({ path: 'docs/reads-room-page.png' });
    assert.deepEqual([...laptop.errors, ...phone.errors, ...ben.errors], []);
  });
});
