import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import type { Page } from 'playwright-core';
import { projectRoot } from '../src/paths.js';
import type { Message } from '../src/protocol.js';
import { openPage, skipBrowser as skip, useBrowser } from './browser-helpers.js';
import { redisAvailable, startNode, testPrefix, testRedisUrl } from './cluster-helpers.js';
import { acked, createTestDatabase, startApp, waitFor } from './helpers.js';
import { connectAs, moderationEnv, token } from './moderation-helpers.js';

const browser = useBrowser();

/** Two nodes sharing PostgreSQL and Redis, with the moderation tests' secret and API key. */
async function twoNodes(t: TestContext) {
  const databaseUrl = await createTestDatabase();
  if (!databaseUrl || !(await redisAvailable())) {
    t.skip('needs Redis and PostgreSQL');
    return undefined;
  }
  const env = { ...moderationEnv, DATABASE_URL: databaseUrl, REDIS_URL: testRedisUrl, REDIS_PREFIX: testPrefix() };
  return Promise.all([startNode({ ...env, NODE_NAME: 'node-a' }), startNode({ ...env, NODE_NAME: 'node-b' })]);
}

/** The console's row of a room in the overview. */
function roomRow(page: Page, room: string) {
  return page.locator(`admin-overview tr[data-room="${room}"]`);
}

/** What the overview's row of a room says, cell by cell. */
async function cells(page: Page, room: string): Promise<string[]> {
  return (await roomRow(page, room).locator('td').allTextContents()).map((text) => text.trim());
}

/** The live log's item of the message `seq`. */
function logItem(page: Page, seq: number) {
  return page.locator(`admin-room-log li[data-seq="${seq}"]`);
}

/** The accessible label (or text) of the element that has the focus, through shadow roots. */
function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    let element = document.activeElement;
    while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
    return element?.getAttribute('aria-label') ?? element?.textContent?.trim() ?? '';
  });
}

/** Presses Tab until the focus is on `label`, at most 60 times; whether it got there. */
async function tabTo(page: Page, label: string): Promise<boolean> {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    if ((await focused(page)) === label) return true;
  }
  return false;
}

/** In the page: whether the focus is inside the ban dialog. */
function inDialog(): boolean {
  let element = document.activeElement;
  while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
  return element?.closest('dialog') !== null && element?.closest('dialog') !== undefined;
}

/** docs/admin-console.png (desktop) and docs/admin-console-phone.png (375 px), of the page as it is. */
async function screenshots(page: Page): Promise<void> {
  await page.mouse.move(0, 0);
  await page.setViewportSize({ width: 1280, height: 1000 });
  await page.screenshot({ path: join(projectRoot, 'docs', 'admin-console.png') });
  await page.setViewportSize({ width: 375, height: 812 });
  await page.screenshot({ path: join(projectRoot, 'docs', 'admin-console-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 720 });
}

describe('the admin console', { skip }, () => {
  test('on two nodes: sign in, overview, a live log across nodes, Delete, Kick, Ban, Lift, the audit log, the keyboard', async (t) => {
    const nodes = await twoNodes(t);
    if (!nodes) return;
    const [a, b] = nodes;
    const ada = await connectAs(b.url, { sub: 'ada', name: 'Ada' });
    assert.ok((await acked(ada.socket).emitWithAck('room:join', { room: 'lobby' })).ok);
    const first = await acked(ada.socket).emitWithAck('message:send', { room: 'lobby', text: 'before the console', clientId: 'c1' });
    assert.ok(first.ok);

    const adminToken = await token({ sub: 'root', name: 'Root', admin: true });
    const { page, errors } = await openPage(`${a.url}/admin?token=${adminToken}`, browser());
    // The handed token leaves the address at once and is kept for the tab.
    await page.locator('admin-overview').waitFor();
    assert.equal(new URL(page.url()).search, '');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('roomcast-admin-token')), adminToken);

    await page.locator('admin-overview tr[data-node="node-b"]').waitFor({ timeout: 10_000 });
    assert.deepEqual(
      await page.locator('admin-overview tr[data-node]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-node'))),
      ['node-a', 'node-b'],
    );
    await roomRow(page, 'lobby').waitFor();
    assert.deepEqual(await cells(page, 'lobby'), ['lobby', '1', '1', '1']);

    // The overview follows without a reload: a second member shows within its 2 s refresh.
    const bob = await connectAs(a.url, { sub: 'bob', name: 'Bob' });
    assert.ok((await acked(bob.socket).emitWithAck('room:join', { room: 'lobby' })).ok);
    await roomRow(page, 'lobby').locator('td:nth-child(2)', { hasText: /^2$/ }).waitFor({ timeout: 6000 });

    await page.getByRole('button', { name: 'Open the live log of lobby' }).click();
    await logItem(page, 1).waitFor();
    // Observing: the console is not in the room's presence.
    await page.locator('admin-room-log [part="status"][data-state="connected"]').waitFor();
    assert.match((await page.locator('admin-room-log .members').textContent()) ?? '', /2 in the room: (Ada, Bob|Bob, Ada)/);
    const sent = await acked(ada.socket).emitWithAck('message:send', { room: 'lobby', text: 'live from node B', clientId: 'c2' });
    assert.ok(sent.ok);
    await logItem(page, 2).locator('.text', { hasText: 'live from node B' }).waitFor({ timeout: 5000 });

    // Delete: the user's socket on node B gets the delete entry, the log shows the message as deleted.
    const deletion = waitFor<Message>(ada.socket, 'message:new');
    await page.getByRole('button', { name: 'Delete message 2' }).click();
    const entry = await deletion;
    assert.deepEqual([entry.type, entry.target], ['delete', 2]);
    await logItem(page, 2).and(page.locator('.deleted')).waitFor();
    assert.equal((await logItem(page, 2).locator('.text').textContent())?.trim(), 'Message deleted');
    assert.equal(await page.getByRole('button', { name: 'Delete message 2' }).isDisabled(), true);

    // Kick: Bob, on node A, is taken out of the room.
    const bobMessage = await acked(bob.socket).emitWithAck('message:send', { room: 'lobby', text: 'hi from Bob', clientId: 'c3' });
    assert.ok(bobMessage.ok);
    const kicked = waitFor<{ room: string; reason: string }>(bob.socket, 'room:removed');
    await page.getByRole('button', { name: 'Kick Bob (message 4)' }).click();
    assert.deepEqual(await kicked, { room: 'lobby', reason: 'kicked' });
    await page.locator('admin-room-log .notice', { hasText: 'Bob was kicked.' }).waitFor();
    // The overview followed all along: one member left, four entries, three messages this minute.
    await page.waitForFunction(
      () => {
        const row = document
          .querySelector('roomcast-admin')
          ?.shadowRoot?.querySelector('admin-overview')
          ?.shadowRoot?.querySelector('tr[data-room="lobby"]');
        return [...(row?.querySelectorAll('td') ?? [])].map((td) => td.textContent?.trim()).join(' ') === 'lobby 1 3 4';
      },
      undefined,
      { timeout: 6000 },
    );

    // Keyboard: Tab reaches each message's actions; the ban dialog keeps focus in and closes on Esc.
    await page.getByRole('button', { name: 'Open the live log of lobby' }).focus();
    assert.ok(await tabTo(page, 'Delete message 1'), 'Tab never reached the Delete button');
    assert.ok(await tabTo(page, 'Ban Ada (message 1)'), 'Tab never reached the Ban button');
    await page.keyboard.press('Enter');
    const dialog = page.locator('admin-ban-dialog dialog');
    await dialog.and(page.locator('[open]')).waitFor();
    for (let i = 0; i < 12; i++) {
      assert.ok(await page.evaluate(inDialog), `Tab ${i} left the dialog`);
      await page.keyboard.press('Tab');
    }
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Shift+Tab');
      assert.ok(await page.evaluate(inDialog), `Shift+Tab ${i} left the dialog`);
    }
    await page.keyboard.press('Escape');
    await dialog.and(page.locator(':not([open])')).waitFor({ state: 'attached' });
    assert.equal(await focused(page), 'Ban Ada (message 1)');

    // Ban, from the dialog: Ada leaves the room on node B at once, and the ban is listed.
    const banned = waitFor<{ room: string; reason: string; message?: string; until?: number }>(ada.socket, 'room:removed');
    await page.keyboard.press('Enter');
    await page.getByLabel('How long').selectOption({ label: '1 day' });
    await page.getByLabel('Reason').fill('spam');
    await page.getByLabel('Reason').press('Enter');
    const removed = await banned;
    assert.deepEqual([removed.room, removed.reason, removed.message], ['lobby', 'banned', 'spam']);
    assert.ok(removed.until && removed.until > Date.now() + 23 * 3600_000, 'a ban of a day');
    await dialog.and(page.locator(':not([open])')).waitFor({ state: 'attached' });
    const banRow = page.locator('admin-bans tr[data-ban]');
    await banRow.waitFor();
    const banCells = (await banRow.locator('td').allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim());
    assert.deepEqual([banCells[0], banCells[1], banCells[3], banCells[4]], ['ada', 'lobby', 'spam by Root', 'Lift']);
    const refused = await acked(ada.socket).emitWithAck('room:join', { room: 'lobby' });
    assert.equal(refused.ok ? 'ok' : refused.error.code, 'forbidden');
    if (process.env.SCREENSHOTS) await screenshots(page);

    // Lift: the list empties and Ada may join again.
    await page.getByRole('button', { name: 'Lift the ban of ada' }).click();
    await page.locator('admin-bans .empty').waitFor();
    assert.ok((await acked(ada.socket).emitWithAck('room:join', { room: 'lobby' })).ok);

    // The audit log lists each action, oldest first, by the console's admin.
    await page.locator('admin-audit tr[data-action="ban.lift"]').waitFor();
    const audit = await page
      .locator('admin-audit tr[data-action]')
      .evaluateAll((rows) => rows.map((row) => [row.getAttribute('data-action'), row.children[1]?.textContent?.trim()]));
    assert.deepEqual(audit, [
      ['message.delete', 'Root'],
      ['room.kick', 'Root'],
      ['ban.create', 'Root'],
      ['ban.lift', 'Root'],
    ]);

    assert.deepEqual(errors, []);
  });

  test('a non-admin token is refused with a clear message and not kept', async () => {
    const { url } = await startApp(moderationEnv);
    const { page } = await openPage(`${url}/admin`, browser());
    const input = page.getByLabel('Admin token');
    await input.fill(await token({ sub: 'mod', moderates: ['lobby'] }));
    await input.press('Enter');
    const alert = page.locator('admin-sign-in .error');
    await alert.filter({ hasText: 'refused' }).waitFor();
    assert.match((await alert.textContent()) ?? '', /This token was refused: .*admins only/);
    await input.fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await alert.filter({ hasText: 'The token is not valid' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('roomcast-admin-token')), null);
    assert.equal(await page.locator('admin-overview').count(), 0);
  });

  test("in the reader's language: ?lang=de after sign-in (tables, buttons, dates, errors), ar right to left before it", async () => {
    const { url } = await startApp(moderationEnv);
    const ada = await connectAs(url, { sub: 'ada', name: 'Ada' });
    assert.ok((await acked(ada.socket).emitWithAck('room:join', { room: 'lobby' })).ok);
    assert.ok((await acked(ada.socket).emitWithAck('message:send', { room: 'lobby', text: 'Hallo', clientId: 'c1' })).ok);

    const adminToken = await token({ sub: 'root', name: 'Root', admin: true });
    const { page, errors } = await openPage(`${url}/admin?lang=de&token=${adminToken}`, browser());
    await page.getByRole('button', { name: 'Abmelden' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.title(), 'roomcast-Verwaltung');
    assert.equal(await page.locator('html').getAttribute('lang'), 'de');
    assert.deepEqual(await page.locator('admin-overview th').allTextContents(), [
      'Knoten',
      'Chat',
      'Push',
      'Räume',
      'Speicher',
      'Läuft seit',
      'Raum',
      'Mitglieder',
      'Nachr./Min.',
      'Nachrichten',
    ]);
    await page.getByRole('button', { name: 'Live-Protokoll von lobby öffnen' }).click();
    await page.locator('admin-room-log h2', { hasText: 'Live-Protokoll von lobby' }).waitFor({ timeout: 10_000 });
    await logItem(page, 1).waitFor({ timeout: 5000 });
    assert.deepEqual(await logItem(page, 1).getByRole('button').allTextContents(), ['Löschen', 'Hinauswerfen', 'Sperren']);
    await page.getByRole('button', { name: 'Nachricht 1 löschen' }).click();
    await page.locator('admin-room-log .notice', { hasText: 'Nachricht 1 gelöscht.' }).waitFor({ timeout: 5000 });
    await page.locator('admin-audit tr[data-action="message.delete"] td', { hasText: 'Nachricht gelöscht' }).waitFor({ timeout: 10_000 });
    assert.equal(await page.locator('admin-bans .empty').textContent(), 'Keine Sperre in Kraft.');
    // Dates in German (day.month.year), not in the browser's English.
    assert.match((await page.locator('admin-audit td').first().textContent()) ?? '', /^\d{2}\.\d{2}\.\d{2}, \d{2}:\d{2}$/);
    // A ban dialog in German; Esc closes it.
    await page.getByRole('button', { name: 'Ada sperren (Nachricht 1)' }).click();
    await page.getByLabel('Wie lange').selectOption({ label: '1 Tag' });
    await page.screenshot({ path: join(projectRoot, 'docs', 'admin-console-de.png') });
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Abmelden' }).click();

    // Signed out, the same tab: the sign-in form, and a refused token said in German by its code.
    const input = page.getByLabel('Admin-Token');
    await input.fill(await token({ sub: 'mod', moderates: ['lobby'] }));
    await input.press('Enter');
    await page.locator('admin-sign-in .error', { hasText: 'Dieses Token wurde abgelehnt: Das dürfen Sie hier nicht.' }).waitFor();
    assert.deepEqual(errors, []);

    const ar = await openPage(`${url}/admin?lang=ar`, browser());
    await ar.page.getByRole('heading', { name: 'تسجيل الدخول' }).waitFor({ timeout: 10_000 });
    assert.equal(await ar.page.locator('html').getAttribute('dir'), 'rtl');
    assert.equal(await ar.page.getByRole('button', { name: 'تسجيل الدخول' }).count(), 1);
    assert.deepEqual(ar.errors, []);
  });
});
