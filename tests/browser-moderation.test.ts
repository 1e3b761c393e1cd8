import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openRoom, pageUser, sendFrom, skipBrowser as skip, useBrowser } from './browser-helpers.js';
import { startApp } from './helpers.js';
import { api, apiKey, moderationEnv } from './moderation-helpers.js';

const browser = useBrowser();

describe('moderation in the room page (Chromium)', () => {
  test('a deleted message shows as deleted live and after a reload; a kicked user sees the notice and may join again', {
    skip,
  }, async () => {
    const app = await startApp(moderationEnv);
    const { page, errors } = await openRoom(app.url, 'tea', 'Bo', browser());
    await sendFrom(page, 'tea', 'buy cheap pills');
    await sendFrom(page, 'tea', 'hello all');
    const text = (seq: number) => page.locator(`roomcast-room li.message[data-seq="${seq}"] [part="text"]`);
    assert.equal((await api(app.url, 'DELETE', '/api/rooms/tea/messages/1?reason=spam', apiKey)).status, 200);
    await page.locator('roomcast-room li.message[data-seq="1"][data-deleted]').waitFor({ timeout: 5_000 });
    assert.equal(await text(1).textContent(), 'Message deleted');
    assert.equal(await text(2).textContent(), 'hello all');
    assert.equal(await page.locator('roomcast-room li.message').count(), 2, 'the entry itself is not shown');

    await page.reload();
    await page.locator('roomcast-room li.message[data-seq="1"][data-deleted]').waitFor({ timeout: 10_000 });
    assert.equal(await text(1).textContent(), 'Message deleted');
    assert.equal(await page.getByText('buy cheap pills').count(), 0);

    const kicked = await api(app.url, 'POST', '/api/rooms/tea/kick', apiKey, {
      user: await pageUser(page),
      reason: 'Please stay on topic',
    });
    assert.equal(kicked.status, 200);
    const notice = page.locator('roomcast-room [part~="removed"]');
    await notice.waitFor({ timeout: 5_000 });
    assert.match((await notice.textContent()) ?? '', /You were removed from this room by a moderator: Please stay on topic/);
    assert.equal(await page.getByRole('button', { name: 'Send', exact: true }).isDisabled(), true);

    await page.getByRole('button', { name: 'Join again' }).click();
    await page.locator('roomcast-room [part="status"].connected').waitFor({ timeout: 10_000 });
    assert.equal(await notice.count(), 0);
    assert.deepEqual(errors, []);
  });

  test('the composer follows the room settings: disabled in a read-only room, a countdown in slow mode', { skip }, async () => {
    const app = await startApp(moderationEnv);
    const { page, errors } = await openRoom(app.url, 'rules', 'Cy', browser());
    await sendFrom(page, 'rules', 'first');
    const input = page.getByLabel('Message', { exact: true });
    const rules = page.locator('roomcast-room [part="room-rules"]');
    assert.equal((await api(app.url, 'PUT', '/api/rooms/rules/settings', apiKey, { readOnly: true })).status, 200);
    await rules.filter({ hasText: 'Read-only room' }).waitFor({ timeout: 5_000 });
    assert.equal(await input.isDisabled(), true);
    assert.equal(await input.getAttribute('placeholder'), 'Read-only room');

    assert.equal((await api(app.url, 'PUT', '/api/rooms/rules/settings', apiKey, { readOnly: false, slowModeSeconds: 60 })).status, 200);
    await rules.filter({ hasText: 'Slow mode: one message every 60 s.' }).waitFor({ timeout: 5_000 });
    assert.equal(await input.isDisabled(), false);
    await sendFrom(page, 'rules', 'second');
    await rules.filter({ hasText: /You can send again in (59|60) s\./ }).waitFor({ timeout: 5_000 });
    assert.deepEqual(errors, []);
  });
});
