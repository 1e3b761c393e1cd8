import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { PresenceEvent, RoomSummary } from '../src/protocol.js';
import { crossesLive, type Node, ownRedis, startNode } from './cluster-helpers.js';
import { checkViews, clusterEnv, eventually, finish, moreAcks, outcomesOf, startAll, within } from './chaos-helpers.js';
import { acked, connectChat } from './helpers.js';

/** How long Redis stays down. */
const outageMs = 10_000;

/** Waits until both Redis connections of every node are back after an outage that began at `marks`. */
function redisBack(nodes: readonly Node[], marks: readonly number[]): Promise<unknown> {
  return Promise.all(
    nodes.flatMap((node, i) =>
      ['commands', 'subscriber'].map((c) => node.printed(`"connection":"${c}","msg":"Redis connection back"`, marks[i], 30_000)),
    ),
  );
}

/** Kills Redis, holds it down for `outageMs` (the nodes noticed), and restarts it empty. */
async function redisOutage(redis: Awaited<ReturnType<typeof ownRedis>>, nodes: readonly Node[], during = async () => {}) {
  const started = Date.now();
  const marks = nodes.map((n) => n.output().length);
  await redis.stop();
  await Promise.all(nodes.map((n, i) => n.printed('Redis connection error', marks[i])));
  await during();
  await delay(Math.max(0, outageMs - (Date.now() - started)));
  const back = nodes.map((n) => n.output().length);
  await redis.start();
  await redisBack(nodes, back);
}

async function rooms(node: Node): Promise<RoomSummary[]> {
  return ((await (await fetch(`${node.url}/api/rooms`)).json()) as { rooms: RoomSummary[] }).rooms;
}

describe('chaos: Redis killed and restarted empty', () => {
  test('Redis down 10 s under continuous sending on two nodes: cross-node delivery resumes, every acked message shown once, in order, everywhere', async (t) => {
    const redis = await ownRedis();
    const env = await clusterEnv(t, redis.url);
    if (!env) return;
    const nodes = await Promise.all([startNode(env), startNode(env)]);
    const [n1, n2] = nodes;
    const rooms = ['alpha', 'beta'];
    const clients = await startAll([
      { url: n1.url, options: { name: 'ann', rooms, count: 2000, intervalMs: 20 } },
      { url: n2.url, options: { name: 'ben', rooms, count: 2000, intervalMs: 20 } },
      { url: n1.url, options: { name: 'cat', rooms } },
      { url: n2.url, options: { name: 'dan', rooms } },
    ]);
    await moreAcks(clients, 10);

    // Messages go on being stored and acked while Redis is down; only broadcasts between nodes stop.
    await redisOutage(redis, nodes, () => moreAcks(clients, 10));
    await moreAcks(clients, 10);

    const lasts = await finish(clients);
    await checkViews(n1.url, clients);
    // The last messages, sent by ann on node 1, reached dan on node 2 live, through Redis.
    const dan = clients[3]!;
    for (const [room, last] of lasts) assert.equal(dan.liveCount(room, last.seq), 1, `${room} seq ${last.seq} did not cross live`);
    assert.ok(
      clients.every((c) => c.stats.connects === 1),
      'a client lost its connection',
    );
    assert.deepEqual(outcomesOf(clients), {}, 'a request failed');
    assert.equal((await fetch(`${n1.url}/readyz`)).status, 200);
    assert.equal((await fetch(`${n2.url}/readyz`)).status, 200);
  });

  test('presence heals after Redis is down 10 s and restarts empty: counts right within 5 s, members listed, leaves announced', async (t) => {
    const redis = await ownRedis();
    const env = await clusterEnv(t, redis.url);
    if (!env) return;
    const nodes = await Promise.all([startNode(env), startNode(env)]);
    const people = await startAll(
      ['ann', 'ben', 'cat', 'dan'].map((name, i) => ({ url: nodes[i % 2]!.url, options: { name, rooms: ['lobby'] } })),
    );
    const counted = (count: number) => async () =>
      (await Promise.all(nodes.map(rooms))).every((list) => list.length === 1 && list[0]?.members === count);
    await eventually(counted(4), '/api/rooms counts 4 on both nodes before the outage', 5000);

    await redisOutage(redis, nodes);
    await eventually(counted(4), '/api/rooms counts 4 on both nodes after Redis came back', 5000);
    const newcomer = await connectChat(nodes[1]!.url, { name: 'eve' });
    const joined = await acked(newcomer.socket).emitWithAck('room:join', { room: 'lobby' });
    assert.ok(joined.ok);
    assert.equal(new Set(joined.members.map((m) => m.id)).size, 5, JSON.stringify(joined.members));

    // Ann's leave is broadcast from the first node: wait until the second hears that node again.
    const probes = await Promise.all(nodes.map((node) => connectChat(node.url, { name: 'probe' })));
    for (const probe of probes) assert.ok((await acked(probe.socket).emitWithAck('room:join', { room: 'probe' })).ok);
    await crossesLive(probes[0]!, probes[1]!, 'probe');

    // One change comes as `left`; several gathered in one event (protocol: at most one per room per
    // 200 ms) as `leaves`: either form announces her.
    const isAnn = (m: { name: string } | undefined) => m?.name === 'ann';
    const left = new Promise<PresenceEvent>((resolve) =>
      newcomer.socket.on('presence:update', (e) => (isAnn(e.left) || e.leaves?.some(isAnn)) && resolve(e)),
    );
    people[0]!.close();
    const event = await within(left, 10_000, 'ann’s leave to be announced');
    assert.equal(event.count, 4);
  });
});
