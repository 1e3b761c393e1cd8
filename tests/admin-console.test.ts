import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import type { Page } from 'playwright-core';
import { openPage, skipBrowser as skip, useBrowser } from './browser-helpers.js';
import { redisAvailable, startNode, testPrefix, testRedisUrl } from './cluster-helpers.js';
import { acked, createTestDatabase, startApp } from './helpers.js';
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

describe('the admin console', { skip }, () => {
  test('signs in, lists both nodes and the rooms, and shows a message sent on node B live in a log opened on node A', async (t) => {
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
    assert.deepEqual(await cells(page, 'lobby'), ['lobby', '1', '1', '1', 'Open']);

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
});
