import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
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
  type Sent,
  signalNode,
  startAll,
  until,
  type View,
} from './chaos-helpers.js';
import { tempDir } from './helpers.js';

const rooms = ['alpha', 'beta'];

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
    const clients = await startAll(crowd(first.url));
    // Chromium users (the lead's, once the new client lands) open the room page at first.url here
    // and start typing; their final views and outboxes join the check below.
    const browserViews: View[] = [];
    const browserSent: Sent[] = [];

    await moreAcks(clients, 20);
    assert.equal(await signalNode(first, 'SIGKILL'), null);
    // The same port, so every client (and a page loaded from it) finds the node where it was.
    const second = await startNode({ ...env, PORT: new URL(first.url).port });
    await moreAcks(clients, 20);

    await finish(clients);
    await checkViews(second.url, clients, { views: browserViews, sent: browserSent });
    assert.ok(clients.every((c) => c.stats.connects >= 2), 'a client never lost its connection');
    const outcomes = Object.keys(outcomesOf(clients));
    assert.ok(outcomes.every((k) => /:(timeout|disconnected)$/.test(k)), JSON.stringify(outcomesOf(clients)));
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
    assert.equal(
      clients.filter((c) => c.stats.connects === 2).length,
      onFirst,
      'exactly the killed node’s clients reconnected, once each',
    );
    await moreAcks(clients, 20);

    await finish(clients);
    await checkViews(n2.url, clients);
    assert.equal(n2.child.exitCode, null, 'the surviving node died');
  });
});
