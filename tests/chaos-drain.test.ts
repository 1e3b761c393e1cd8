import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startNode, testRedisUrl } from './cluster-helpers.js';
import { checkViews, clusterEnv, finish, loadBalancer, moreAcks, signalNode, startAll, until } from './chaos-helpers.js';

describe('chaos: a node drained by SIGTERM', () => {
  test('SIGTERM under continuous sending behind the load balancer: clients move to the other node, nothing lost, the process exits 0', async (t) => {
    const env = await clusterEnv(t, testRedisUrl);
    if (!env) return;
    const [n1, n2] = await Promise.all([startNode(env), startNode(env)]);
    const lb = await loadBalancer([n1.url, n2.url]);
    const rooms = ['alpha', 'beta'];
    const clients = await startAll([
      ...['ann', 'ben', 'cat', 'dan', 'eve'].map((name) => ({ url: lb.url, options: { name, rooms, count: 2000, intervalMs: 15 } })),
      ...['fay', 'gus', 'hal'].map((name) => ({ url: lb.url, options: { name, rooms } })),
    ]);
    const onFirst = lb.connections(n1.url);
    assert.ok(onFirst > 0 && lb.connections(n2.url) > 0, 'the balancer did not spread the clients');

    await moreAcks(clients, 20);
    assert.equal(await signalNode(n1, 'SIGTERM'), 0, `the drained node did not exit 0:\n${n1.output().slice(-2000)}`);
    await until(
      [lb.events, ...clients.map((c) => c.events)],
      () => lb.connections(n2.url) === clients.length && clients.every((c) => c.ready),
      'every client to be back, on the remaining node',
    );
    const moved = clients.filter((c) => c.stats.connects > 1);
    assert.equal(moved.length, onFirst, 'exactly the drained node’s clients reconnected');
    assert.ok(
      moved.every((c) => c.stats.drained === 1),
      'a client of the drained node was not told server:draining',
    );
    await moreAcks(clients, 20);

    await finish(clients);
    await checkViews(n2.url, clients);
    assert.equal(n2.child.exitCode, null, 'the remaining node died');
  });
});
