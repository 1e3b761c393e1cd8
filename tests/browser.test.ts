import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { skipBrowser as skip, useBrowser, watchPage } from './browser-helpers.js';
import { startApp } from './helpers.js';

const HOSTILE = '<img src=x onerror=alert(1)>';

const browser = useBrowser();

test('two room pages exchange messages and render hostile text as text', { skip }, async () => {
  const { url } = await startApp();
  const watched: ReturnType<typeof watchPage>[] = [];

  async function openRoom(name: string): Promise<Page> {
    const page = await (await browser().newContext()).newPage();
    watched.push(watchPage(page));
    await page.goto(`${url}/rooms/lobby?name=${name}`);
    await page.locator('roomcast-room [part="status"].connected').waitFor({ timeout: 10_000 });
    return page;
  }
  const messageText = (page: Page, text: string) => page.locator('roomcast-room [part="text"]', { hasText: text });

  const ana = await openRoom('Ana');
  const bo = await openRoom('Bo');

  await ana.getByLabel('Message', { exact: true }).fill('hello from Ana');
  await ana.getByLabel('Message', { exact: true }).press('Enter');
  await messageText(bo, 'hello from Ana').waitFor({ timeout: 5_000 });

  await bo.getByLabel('Message', { exact: true }).fill(HOSTILE);
  await bo.getByRole('button', { name: 'Send' }).click();
  for (const page of [ana, bo]) {
    const shown = messageText(page, HOSTILE);
    await shown.waitFor({ timeout: 5_000 });
    assert.equal(await shown.textContent(), HOSTILE);
    const images = await page.evaluate(() => document.querySelector('roomcast-room')?.shadowRoot?.querySelectorAll('img').length);
    assert.equal(images, 0);
  }

  // Each message and the composer take their direction from their own text (dir="auto").
  const arabic = 'مرحبا بالجميع';
  await ana.getByLabel('Message', { exact: true }).fill(arabic);
  assert.equal(await ana.getByLabel('Message', { exact: true }).evaluate((el) => getComputedStyle(el).direction), 'rtl');
  await ana.getByLabel('Message', { exact: true }).press('Enter');
  await messageText(bo, arabic).waitFor({ timeout: 5_000 });
  const direction = (text: string) => messageText(bo, text).evaluate((el) => getComputedStyle(el).direction);
  assert.deepEqual([await direction(arabic), await direction('hello from Ana')], ['rtl', 'ltr']);

  assert.deepEqual(
    watched.flatMap((w) => [...w.dialogs, ...w.errors]),
    [],
  );
});

test('the live-data button shows the pushes as they come, extends them, and explains a rate limit', { skip }, async () => {
  const { url } = await startApp({ LIVE_INTERVAL_MS: '300', NODE_NAME: 'test-node' });
  const page = await (await browser().newContext()).newPage();
  const { errors } = watchPage(page);
  await page.goto(`${url}/rooms/live-room?name=Liv`);
  await page.locator('roomcast-room [part="status"].connected').waitFor({ timeout: 10_000 });

  await page.getByRole('button', { name: 'Live data' }).click();
  const entries = page.locator('#live-log li');
  await entries.nth(1).waitFor({ timeout: 10_000 });
  assert.match((await entries.first().textContent()) ?? '', /node test-node.*\d+ connections?/);
  await page.locator('#live-status', { hasText: /^Until / }).waitFor({ timeout: 5_000 });

  await page.getByRole('button', { name: 'Extend live data' }).click();
  await page.locator('#live-status', { hasText: /^Extended until / }).waitFor({ timeout: 5_000 });

  // Use up the per-address allowance (10 a minute), then click once more.
  await page.evaluate(async () => {
    for (let i = 0; i < 10; i++) await fetch(`${location.pathname.replace('/rooms/', '/api/rooms/')}/live`, { method: 'POST' });
  });
  await page.getByRole('button', { name: 'Extend live data' }).click();
  await page
    .getByRole('alert')
    .filter({ hasText: /too often\. Try again in \d+ s/ })
    .waitFor({ timeout: 5_000 });
  assert.equal(await page.getByRole('button', { name: 'Extend live data' }).isDisabled(), true);
  assert.deepEqual(errors, []);
});
