import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { projectRoot } from '../src/paths.js';
import { startApp } from './helpers.js';

const HOSTILE = '<img src=x onerror=alert(1)>';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// CI must run this test; elsewhere a machine without Chromium skips it, loudly.
const skip = !existsSync(chromiumPath) && !process.env.CI ? `no Chromium at ${chromiumPath} (apt-get install chromium)` : false;
if (skip) console.warn(`SKIPPING browser tests: ${skip}`);

let browser: Browser;

before(async () => {
  if (skip) return;
  // The pages load dist/web; build it from the current sources so the test never sees a stale bundle.
  execFileSync('npm', ['run', '--silent', 'build:web'], { cwd: projectRoot, stdio: 'pipe' });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
    ],
  });
});

after(() => browser?.close());

test('two room pages exchange messages and render hostile text as text', { skip }, async () => {
  const { url } = await startApp();
  const dialogs: string[] = [];
  const pageErrors: string[] = [];

  async function openRoom(name: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${url}/rooms/lobby?name=${name}`);
    await page.locator('roomcast-room [part="status"].connected').waitFor({ timeout: 10_000 });
    return page;
  }
  const messageText = (page: Page, text: string) =>
    page.locator('roomcast-room [part="text"]', { hasText: text });

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
    const images = await page.evaluate(
      () => document.querySelector('roomcast-room')?.shadowRoot?.querySelectorAll('img').length,
    );
    assert.equal(images, 0);
  }

  assert.deepEqual(dialogs, []);
  assert.deepEqual(pageErrors, []);
});

test('the live-data button shows the pushes as they come, extends them, and explains a rate limit', { skip }, async () => {
  const { url } = await startApp({ LIVE_INTERVAL_MS: '300', NODE_NAME: 'test-node' });
  const page = await (await browser.newContext()).newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
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
  await page.getByRole('alert').filter({ hasText: /too often\. Try again in \d+ s/ }).waitFor({ timeout: 5_000 });
  assert.equal(await page.getByRole('button', { name: 'Extend live data' }).isDisabled(), true);
  assert.deepEqual(pageErrors, []);
});
