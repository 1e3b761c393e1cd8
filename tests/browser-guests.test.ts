import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { SignJWT } from 'jose';
import type { Locator, Page } from 'playwright-core';
import {
  hostPage,
  noSeriousAxeViolation,
  openPage,
  openRoom,
  skipBrowser as skip,
  useBrowser,
  useHostSite,
  widget,
} from './browser-helpers.js';
import { acked, connectChat, type Running, startApp } from './helpers.js';

const JWT_SECRET = 'browser-guests-secret-0123456789';

const browser = useBrowser();
const host = useHostSite();

/** Ada, a signed-in user, then a guest who asked to be "Аdа Lоvеlасе" (Cyrillic а, о, е, с), write in `room` from Node. */
async function adaAndHerDouble(app: Running, room: string) {
  const token = await new SignJWT({ sub: 'u-ada', name: 'Ada Lovelace' })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(JWT_SECRET));
  for (const [auth, text] of [
    [{ token }, 'Hello, I am Ada.'],
    [{ name: 'Аdа Lоvеlасе' }, 'No, I am Ada!'],
  ] as const) {
    const { socket } = await connectChat(app.url, auth);
    assert.ok((await acked(socket).emitWithAck('room:join', { room })).ok);
    assert.ok((await acked(socket).emitWithAck('message:send', { room, text, clientId: randomUUID() })).ok);
  }
}

/** The message items of the log `where` shows, as what a person sees and what a screen reader reads. */
async function authors(where: Page | Locator) {
  const items = where.locator('li.message');
  await items.nth(2).waitFor({ timeout: 10_000 });
  return Promise.all(
    (await items.all()).map(async (item) => ({
      author: (await item.locator('[part="author"]').textContent())?.trim(),
      badge: await item.locator('[part="guest-badge"]').isVisible(),
      read: (await item.textContent())?.replace(/\s+/g, ' '),
    })),
  );
}

/** Ada's message unmarked; her double's and every later one (guests', the viewer's own last) marked. */
function assertMarked(seen: Awaited<ReturnType<typeof authors>>, viewer: string): void {
  const [ada, double, ...guests] = seen;
  assert.deepEqual([ada?.author, ada?.badge], ['Ada Lovelace', false], 'the user has no mark');
  assert.match(double?.author ?? '', /^Guest \d{4}$/, 'the double did not get the name');
  assert.equal(double?.badge, true);
  assert.match(double?.read ?? '', /guest, not signed in/);
  assert.ok(guests.every((g) => g.badge));
  assert.equal(guests.at(-1)?.author, viewer, 'a guest sees the mark on their own messages too');
}

describe('guests look like guests in the page and the widget', () => {
  test('the room page marks every guest, not the user; readable in light and dark', { skip }, async () => {
    const app = await startApp({ JWT_SECRET });
    await adaAndHerDouble(app, 'tea');
    for (const colorScheme of ['light', 'dark'] as const) {
      const { page, errors } = await openRoom(
        app.url,
        'tea',
        `Bo-${colorScheme}`,
        await browser().newContext({ colorScheme, bypassCSP: true }),
      );
      await page.getByLabel('Message', { exact: true }).fill(`Bo here (${colorScheme})`);
      await page.getByLabel('Message', { exact: true }).press('Enter');
      await page.locator('li.message[data-state="sent"]', { hasText: `Bo here (${colorScheme})` }).waitFor({ timeout: 5_000 });
      assertMarked(await authors(page), `Bo-${colorScheme}`);
      await noSeriousAxeViolation(page, colorScheme);
      assert.deepEqual(errors, []);
    }
  });

  test('the widget marks them the same way', { skip }, async () => {
    const app = await startApp({ JWT_SECRET, ALLOWED_ORIGINS: host.origin });
    await adaAndHerDouble(app, 'shop');
    const { page, errors } = await openPage(host.page('/guests', hostPage(app.url, widget('room="shop" name="Cy"'))), browser());
    await page.locator('roomcast-chat [part="launcher"]').click();
    await page.locator('roomcast-chat [part="status"].connected').waitFor({ state: 'attached', timeout: 10_000 });
    const chat = page.locator('roomcast-chat');
    await chat.getByLabel('Message', { exact: true }).fill('Cy here');
    await chat.getByLabel('Message', { exact: true }).press('Enter');
    await chat.locator('li.message[data-state="sent"]', { hasText: 'Cy here' }).waitFor({ timeout: 5_000 });
    assertMarked(await authors(chat), 'Cy');
    assert.deepEqual(errors, []);
  });
});
