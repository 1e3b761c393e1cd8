import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { startNode, tcpProxy, testRedisUrl } from './cluster-helpers.js';
import { broadcastProblems, checkViews, clusterEnv, finish, moreAcks, outcomesOf, startAll } from './chaos-helpers.js';
import { testDatabaseUrl } from './helpers.js';

type Proxy = Awaited<ReturnType<typeof tcpProxy>>;

/**
 * Two nodes whose PostgreSQL is reached through a proxy, three clients sending continuously and
 * two watching, spread over both; `trouble` breaks the database for a while. Afterwards every
 * acked or retried message is stored once and shown once, in order, by every client, and the
 * sends during the trouble were answered `unavailable`.
 */
async function runThrough(t: TestContext, trouble: (proxy: Proxy) => Promise<void>) {
  const target = new URL(testDatabaseUrl);
  const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const env = await clusterEnv(t, testRedisUrl, (url) => {
    const proxied = new URL(url);
    proxied.host = `127.0.0.1:${proxy.port}`;
    return proxied.toString();
  });
  if (!env) return;
  const [n1, n2] = await Promise.all([startNode(env), startNode(env)]);
  const rooms = ['alpha', 'beta'];
  const clients = await startAll([
    { url: n1.url, options: { name: 'ann', rooms, count: 2000, intervalMs: 20 } },
    { url: n2.url, options: { name: 'ben', rooms, count: 2000, intervalMs: 20 } },
    { url: n1.url, options: { name: 'cat', rooms, count: 2000, intervalMs: 20 } },
    { url: n2.url, options: { name: 'dan', rooms } },
    { url: n1.url, options: { name: 'eve', rooms } },
  ]);
  await moreAcks(clients, 10);

  await trouble(proxy);
  await moreAcks(clients, 10);

  await finish(clients);
  const store = await checkViews(n1.url, clients);
  const outcomes = outcomesOf(clients);
  assert.ok((outcomes['message:send:unavailable'] ?? 0) > 0, `no send was answered unavailable: ${JSON.stringify(outcomes)}`);
  assert.ok(
    Object.keys(outcomes).every((k) => k.endsWith(':unavailable')),
    `answers other than unavailable: ${JSON.stringify(outcomes)}`,
  );
  assert.ok(
    clients.every((c) => c.stats.connects === 1),
    'a client lost its connection',
  );

  await t.test(
    'every stored message reached every client live exactly once (a commit answered unavailable is broadcast on its retry)',
    () => {
      const problems = broadcastProblems(clients, store);
      assert.deepEqual(problems, [], `not broadcast exactly once:\n${problems.join('\n')}`);
    },
  );
}

describe('chaos: PostgreSQL cut or stalled under continuous sending on two nodes', () => {
  test('cut for 10 s: sends answered unavailable, then every acked message stored once and shown once, in order, everywhere', (t) =>
    runThrough(t, async (proxy) => {
      proxy.block();
      await delay(10_000);
      proxy.unblock();
    }));

  test('stalled for 5 s: sends answered unavailable, then every retried message stored once and shown once, in order, everywhere', (t) =>
    runThrough(t, async (proxy) => {
      proxy.stall();
      await delay(5000);
      proxy.resume();
    }));
});
