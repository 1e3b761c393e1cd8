import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { SignJWT } from 'jose';
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
import { png } from './files-helpers.js';
import { startApp } from './helpers.js';
import { projectRoot } from '../src/paths.js';

const browser = useBrowser();
const host = useHostSite();
const JWT_SECRET = 'browser-attachments-secret-0123456789';
const sign = (sub: string, rooms: string[]) =>
  new SignJWT({ sub, name: sub, rooms })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(JWT_SECRET));

const viewports = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/** Waits until the tray holds `count` uploaded files and none is still uploading. */
async function trayReady(page: Page, count: number): Promise<void> {
  await page
    .locator('roomcast-room .tray li[data-state="ready"]')
    .nth(count - 1)
    .waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('roomcast-room .tray li[data-state="uploading"]').count(), 0);
}

async function send(page: Page, text: string): Promise<void> {
  await page.locator('roomcast-room textarea').fill(text);
  await page.locator('roomcast-room [part="send-button"]').click();
  await page.locator('roomcast-room .tray').waitFor({ state: 'detached', timeout: 5000 });
}

/** The message (by its text) as another user's page shows it, once its image has loaded. */
async function shownImage(page: Page, text: string) {
  const item = page.locator('roomcast-room li.message', { hasText: text });
  const image = item.locator('[part="attachments"] img');
  await image.waitFor({ timeout: 10_000 });
  await page.waitForFunction(
    (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0,
    await image.elementHandle(),
    { timeout: 10_000 },
  );
  return image.evaluate((img: HTMLImageElement) => ({
    natural: [img.naturalWidth, img.naturalHeight],
    box: [Math.round(img.getBoundingClientRect().width), Math.round(img.getBoundingClientRect().height)],
    alt: img.alt,
  }));
}

describe('attachments in the room page (issue 13 point 4)', { skip }, () => {
  for (const viewport of viewports) {
    test(`${viewport.name}: file button, drop and paste upload; the other user sees images inline, sized, and file chips`, async () => {
      const app = await startApp();
      const room = `files-${viewport.name}`;
      const ann = await openRoom(app.url, room, 'Ann', await browser().newContext({ viewport }));
      // bypassCSP: only so that axe-core can be injected into Bob's page.
      const bob = await openRoom(app.url, room, 'Bob', await browser().newContext({ viewport, bypassCSP: true }));

      // The paperclip: a labelled file input.
      const input = ann.page.locator('roomcast-room input[type="file"]');
      assert.equal(await input.getAttribute('aria-label'), 'Attach files');
      await input.setInputFiles([
        { name: 'wide.png', mimeType: 'image/png', buffer: png(400, 200, [0x25, 0x63, 0xeb]) },
        { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Meeting notes\n') },
      ]);
      await trayReady(ann.page, 2);
      await send(ann.page, 'From the button');
      const shown = await shownImage(bob.page, 'From the button');
      assert.deepEqual([shown.natural, shown.alt], [[400, 200], 'wide.png']);
      // Reserved from the stored size: a 240 px box at most, the aspect kept.
      const [w, h] = shown.box as [number, number];
      assert.ok(w <= 240 && w >= 200 && Math.abs(w / h - 2) < 0.05, `box ${w}x${h}`);
      const chip = bob.page.locator('roomcast-room li.message', { hasText: 'From the button' }).locator('[part="attachment-file"]');
      assert.match((await chip.textContent()) ?? '', /notes\.txt\s*14\s*B/);
      assert.match((await chip.getAttribute('href')) ?? '', /\/api\/rooms\/files-\w+\/attachments\/[\w-]{22}$/);

      // Drop onto the room: a DataTransfer with a file, as a drag from the desktop makes.
      await ann.page.evaluate(
        async (bytes) => {
          const data = new DataTransfer();
          data.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
          const target = document.querySelector('roomcast-room') as HTMLElement;
          target.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
          target.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
        },
        [...png(120, 160, [0x16, 0xa3, 0x4a])],
      );
      await trayReady(ann.page, 1);
      await send(ann.page, 'Dropped in');
      assert.deepEqual((await shownImage(bob.page, 'Dropped in')).natural, [120, 160]);

      // Paste an image into the composer (a screenshot from the clipboard).
      await ann.page.locator('roomcast-room textarea').evaluate(
        (textarea, bytes) => {
          const data = new DataTransfer();
          data.items.add(new File([new Uint8Array(bytes)], 'image.png', { type: 'image/png' }));
          textarea.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
        },
        [...png(64, 64, [0xdc, 0x26, 0x26])],
      );
      await trayReady(ann.page, 1);
      // An image alone, no text: Send is enabled by the file.
      await ann.page.locator('roomcast-room [part="send-button"]').click();
      const pasted = bob.page.locator('roomcast-room li.message').last().locator('[part="attachments"] img');
      await pasted.waitFor({ timeout: 10_000 });
      assert.equal(await pasted.getAttribute('alt'), 'image.png');

      // A file of a refused type stays as a chip saying why, and is not sent.
      await input.setInputFiles({
        name: 'page.html',
        mimeType: 'image/png',
        buffer: Buffer.from('<!doctype html><script>alert(1)</script>'),
      });
      const failed = ann.page.locator('roomcast-room .tray li[data-state="failed"]');
      await failed.waitFor({ timeout: 10_000 });
      assert.match((await failed.locator('[role="alert"]').textContent()) ?? '', /HTML, SVG and XML files are not accepted/);
      assert.equal(await ann.page.locator('roomcast-room [part="send-button"]').isDisabled(), true);
      if (process.env.SCREENSHOTS) await ann.page.screenshot({ path: join(tmpdir(), `roomcast-tray-${viewport.name}.png`) });
      await failed.locator('button.remove').click();
      assert.equal(await ann.page.locator('roomcast-room .tray').count(), 0);

      await noSeriousAxeViolation(bob.page, `${viewport.name} room with attachments`);
      if (process.env.SCREENSHOTS) {
        await bob.page.screenshot({ path: join(projectRoot, 'docs', `attachments-${viewport.name}.png`) });
      }
      for (const opened of [ann, bob]) assert.deepEqual([opened.errors, opened.dialogs], [[], []]);
    });
  }

  test("the widget on another origin: a private room's image is uploaded with CORS and shown to the other user from a blob URL", async () => {
    const app = await startApp({ JWT_SECRET, ALLOWED_ORIGINS: host.origin });
    const room = 'private-team';
    const pageOf = async (user: string) => {
      const url = host.page(`/team-${user}`, hostPage(app.url, widget(`room="${room}" token="${await sign(user, [room])}" open`)));
      const opened = await openPage(url, await browser().newContext({ viewport: { width: 1280, height: 800 } }));
      await opened.page.locator('roomcast-chat [part="status"].connected').waitFor({ state: 'attached', timeout: 10_000 });
      return opened;
    };
    const ann = await pageOf('ann');
    const bob = await pageOf('bob');
    await ann.page.locator('roomcast-chat input[type="file"]').setInputFiles([
      { name: 'plan.png', mimeType: 'image/png', buffer: png(300, 150, [0x7c, 0x3a, 0xed]) },
      { name: 'plan.txt', mimeType: 'text/plain', buffer: Buffer.from('the plan') },
    ]);
    await ann.page.locator('roomcast-chat .tray li[data-state="ready"]').nth(1).waitFor({ timeout: 10_000 });
    await ann.page.locator('roomcast-chat textarea').fill('Our plan');
    await ann.page.locator('roomcast-chat [part="send-button"]').click();
    const item = bob.page.locator('roomcast-chat li.message', { hasText: 'Our plan' });
    const image = item.locator('[part="attachments"] img');
    await image.waitFor({ timeout: 10_000 });
    await bob.page.waitForFunction(
      (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth === 300,
      await image.elementHandle(),
      { timeout: 10_000 },
    );
    assert.match((await image.getAttribute('src')) ?? '', /^blob:/);
    const chip = item.locator('[part="attachment-file"]');
    await bob.page.waitForFunction((a) => (a as HTMLAnchorElement).href.startsWith('blob:'), await chip.elementHandle(), {
      timeout: 10_000,
    });
    // Without the token the file is not there for the taking.
    const id = /attachments\/([\w-]{22})/.exec((await image.getAttribute('data-src')) ?? '')?.[1];
    assert.equal((await fetch(`${app.url}/api/rooms/${room}/attachments/${id}`)).status, 401);
    if (process.env.SCREENSHOTS) await bob.page.screenshot({ path: join(projectRoot, 'docs', 'attachments-widget.png') });
    for (const opened of [ann, bob]) assert.deepEqual([opened.errors, opened.dialogs], [[], []]);
  });
});
