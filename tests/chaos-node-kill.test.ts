import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  delivered,
  openRoom,
  pageView,
  recordStatus,
  showsStatus,
  skipBrowser,
  startTyping,
  statusLog,
  useBrowser,
} from './browser-helpers.js';
import { startNode, testRedisUrl } from './cluster-helpers.js';
import {
  chaosEnv,
  checkViews,
  clusterEnv,
  finish,
  loadBalancer,
  moreAcks,
  outcomesOf,
  type SenderOptions,
  signalNode,
  startAll,
  until,
} from './chaos-helpers.js';
import { tempDir } from './helpers.js';

const rooms = ['alpha', 'beta'];
const browser = useBrowser();

/** Three clients that send continuously (up to a bound the runs never reach) and one that watches. */
function crowd(url: string): { url: string; options: SenderOptions }[] {
  return [
    ...['ann', 'ben', 'cat'].map((name) => ({ url, options: { name, rooms, count: 2000, intervalMs: 15 } })),
    { url, options: { name: 'dan', rooms } },
  ];
}

describe('chaos: a node killed without warning', () => {
  test('SIGKILL under continuous sending, restart on the same SQLite file: every acked message shown once, in order, everywhere', async () => {
    const env = { ...chaosEnv, DATABASE_PATH: join(tempDir(), 'chaos.db') };
    const first = await startNode(env);
    // Two Chromium users in alpha (when there is a Chromium), there from its first message and
    // typing all along.
    const users = skipBrowser ? [] : ['Ivy', 'Jo'];
    const opened = await Promise.all(
      users.map(async (name) => {
        const opened = await openRoom(first.url, 'alpha', name, browser());
        await recordStatus(opened.page);
        return { name, ...opened };
      }),
    );
    const clients = await startAll(crowd(first.url));
    const pages = opened.map((p) => ({ ...p, typing: startTyping(p.page, 'alpha', p.name) }));

    await moreAcks(clients, 20);
    assert.equal(await signalNode(first, 'SIGKILL'), null);
    const killedAt = Date.now();
    for (const { page } of pages) {
      await showsStatus(page, 'reconnecting');
      // They go on typing: what they send waits in the outbox, shown as sending.
      await page.locator('roomcast-room li.message[data-state="sending"]').first().waitFor({ state: 'attached' });
    }
    const restartedAt = Date.now();
    // The same port, so every client (and a page loaded from it) finds the node where it was.
    const second = await startNode({ ...env, PORT: new URL(first.url).port });
    await moreAcks(clients, 20);
    for (const { page } of pages) await showsStatus(page, 'connected', 35_000);
    // Typing on after the restart, as people do: a few more each, however slow this machine is.
    await Promise.all(pages.map((p) => p.typing.reached(p.typing.sent.length + 3)));

    const browserSent = (await Promise.all(pages.map((p) => p.typing.stop()))).flat();
    const lasts = await finish(clients);
    for (const { page } of pages) await delivered(page, lasts.get('alpha')?.seq ?? 0);
    const browserViews = await Promise.all(pages.map((p) => pageView(p.page, p.name, 'alpha')));
    await checkViews(second.url, clients, { views: browserViews, sent: browserSent });
    for (const p of pages) {
      const log = await statusLog(p.page);
      const lies = log.filter((r) => r.state === 'connected' && r.at > killedAt && r.at < restartedAt);
      assert.deepEqual(lies, [], `${p.name} said Connected while the node was down: ${JSON.stringify(log)}`);
      assert.equal(log.at(-1)?.state, 'connected');
      assert.ok(p.typing.sent.length >= 5, `${p.name} sent only ${p.typing.sent.length}`);
      assert.deepEqual([...p.errors, ...p.dialogs], []);
    }
    assert.ok(
      clients.every((c) => c.stats.connects >= 2),
      'a client never lost its connection',
    );
    const outcomes = Object.keys(outcomesOf(clients));
    assert.ok(
      outcomes.every((k) => /:(timeout|disconnected)$/.test(k)),
      JSON.stringify(outcomesOf(clients)),
    );
  });

  test('two nodes on Redis and PostgreSQL behind a load balancer, one SIGKILLed: its clients move to the other, nothing acked is lost, no duplicates', async (t) => {
    const env = await clusterEnv(t, testRedisUrl);
    if (!env) return;
    const [n1, n2] = await Promise.all([startNode(env), startNode(env)]);
    const lb = await loadBalancer([n1.url, n2.url]);
    const clients = await startAll([...crowd(lb.url), { url: lb.url, options: { name: 'eve', rooms: ['alpha'] } }]);
    const onFirst = lb.connections(n1.url);
    assert.ok(onFirst > 0 && lb.connections(n2.url) > 0, 'the balancer did not spread the clients');

    await moreAcks(clients, 20);
    assert.equal(await signalNode(n1, 'SIGKILL'), null);
    await until(
      [lb.events, ...clients.map((c) => c.events)],
      () => lb.connections(n2.url) === clients.length && clients.every((c) => c.ready),
      'every client to be back, on the surviving node',
    );
    assert.equal(clients.filter((c) => c.stats.connects === 2).length, onFirst, 'exactly the killed node’s clients reconnected, once each');
    await moreAcks(clients, 20);

    await finish(clients);
    await checkViews(n2.url, clients);
    assert.equal(n2.child.exitCode, null, 'the surviving node died');
  });
});
