import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { SignJWT } from 'jose';
import { createClient } from 'redis';
import type { RoomSummary } from '../src/protocol.js';
import { crossesLive, type Node, ownRedis, redisAvailable, startNode, tcpProxy, testPrefix, testRedisUrl } from './cluster-helpers.js';
import { acked, connectChat, createTestDatabase, type PresenceLog, presenceLog } from './helpers.js';

const jwtSecret = 'heal-jwt-secret-0123456789';
const healed = (entries: number) => `"entries":${entries},"msg":"presence of this node put back in Redis"`;

function token(sub: string) {
  return new SignJWT({ sub, name: sub.toUpperCase() })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(jwtSecret));
}

async function env(t: TestContext, redisUrl: string) {
  const databaseUrl = await createTestDatabase();
  if (!databaseUrl || !(await redisAvailable(redisUrl))) {
    t.skip('needs Redis and PostgreSQL');
    return undefined;
  }
  return { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, REDIS_PREFIX: testPrefix(redisUrl), JWT_SECRET: jwtSecret };
}

async function rooms(node: Node): Promise<Pick<RoomSummary, 'room' | 'members'>[]> {
  const body = (await (await fetch(`${node.url}/api/rooms`)).json()) as { rooms: RoomSummary[] };
  return body.rooms.map(({ room, members }) => ({ room, members }));
}

/**
 * u1, u2 on the first node and u3, u4 on the second, all in `room`. Each watches presence from
 * its join on; once every one has seen the joins after its own, `since()` gives the changes seen
 * from then on.
 */
async function fourUsers(nodes: [Node, Node], room: string) {
  const ids = ['u1', 'u2', 'u3', 'u4'];
  const users = await Promise.all(ids.map(async (id, i) => connectChat(nodes[i < 2 ? 0 : 1].url, { token: await token(id) })));
  const logs = users.map((u) => presenceLog(u.socket));
  for (const u of users) assert.ok((await acked(u.socket).emitWithAck('room:join', { room })).ok);
  await Promise.all(logs.map((log, i) => log.until((l) => ids.slice(i).every((id) => l.joins.some((m) => m.id === id)))));
  assert.deepEqual(await rooms(nodes[0]), [{ room, members: 4 }]);
  const seenBefore = logs.map((log) => ({ joins: log.joins.length, leaves: log.leaves.length }));
  const since = (i: number) => ({
    joins: (logs[i] as PresenceLog).joins.slice(seenBefore[i]?.joins).map((m) => m.id),
    leaves: (logs[i] as PresenceLog).leaves.slice(seenBefore[i]?.leaves).map((m) => m.id),
  });
  return { users, logs, since };
}

/** A newcomer on the first node sees everyone; then u1 leaves and every other user is told, once. */
async function assertPresenceWorks(nodes: [Node, Node], room: string, present: string[], logs: PresenceLog[]) {
  const newcomer = await connectChat(nodes[0].url, { token: await token('u5') });
  const join = await acked(newcomer.socket).emitWithAck('room:join', { room });
  assert.ok(join.ok);
  assert.deepEqual(join.members.map((m) => m.id).sort(), [...present, 'u5'].sort());
  assert.deepEqual(await rooms(nodes[1]), [{ room, members: present.length + 1 }]);

  const [, ...others] = logs;
  const u1Left = others.map((log) => log.until((l) => l.leaves.some((m) => m.id === 'u1'), 5000));
  return {
    newcomer,
    async leaveAndCheck(u1: Awaited<ReturnType<typeof connectChat>>) {
      assert.ok((await acked(u1.socket).emitWithAck('room:leave', { room })).ok);
      await Promise.all(u1Left);
      assert.deepEqual(await rooms(nodes[0]), [{ room, members: present.length }]);
    },
  };
}

describe('presence heals after Redis loses it', () => {
  test('Redis restarted empty: counts, member lists and leave events are right again within 5 s, and nobody is told anyone moved', async (t) => {
    const redis = await ownRedis();
    const base = await env(t, redis.url);
    if (!base) return;
    const nodes = (await Promise.all([startNode(base), startNode(base)])) as [Node, Node];
    const { users, logs, since } = await fourUsers(nodes, 'heal');

    const marks = nodes.map((n) => n.output().length);
    await redis.stop();
    await redis.start();
    const restarted = Date.now();
    await Promise.all(nodes.map((n, i) => n.printed(healed(2), marks[i], 5000)));
    assert.ok(Date.now() - restarted < 5000);
    assert.deepEqual(await rooms(nodes[0]), [{ room: 'heal', members: 4 }]);
    // Broadcasts between nodes ride each node's subscriber connection, which comes back on its own
    // time (what it missed meanwhile is what sync:hint is for): the joins and leaves below must not
    // race it. A message from each node, seen live on the other, says both ways carry again.
    await crossesLive(users[0] as (typeof users)[0], users[2] as (typeof users)[0], 'heal');
    await crossesLive(users[2] as (typeof users)[0], users[0] as (typeof users)[0], 'heal');

    const check = await assertPresenceWorks(nodes, 'heal', ['u1', 'u2', 'u3', 'u4'], logs);
    await check.leaveAndCheck(users[0] as (typeof users)[0]);
    // The restart itself told nobody anything: the only changes seen are u5's join and u1's leave.
    for (const i of [1, 2, 3]) assert.deepEqual(since(i), { joins: ['u5'], leaves: ['u1'] });
  });

  test('keys gone without a reconnect (a flush): each node notices at its next beat and puts its users back', async (t) => {
    const redis = await ownRedis();
    const base = await env(t, redis.url);
    if (!base) return;
    const nodes = (await Promise.all([1, 2].map(() => startNode({ ...base, NODE_HEARTBEAT_MS: '300' })))) as [Node, Node];
    const { users, logs, since } = await fourUsers(nodes, 'flush');

    const marks = nodes.map((n) => n.output().length);
    const admin = createClient({ url: redis.url });
    admin.on('error', () => undefined);
    await admin.connect();
    await admin.flushAll();
    await admin.close();
    await Promise.all(nodes.map((n, i) => n.printed(healed(2), marks[i], 5000)));
    assert.deepEqual(await rooms(nodes[1]), [{ room: 'flush', members: 4 }]);
    const check = await assertPresenceWorks(nodes, 'flush', ['u1', 'u2', 'u3', 'u4'], logs);
    await check.leaveAndCheck(users[0] as (typeof users)[0]);
    for (const i of [1, 2, 3]) assert.deepEqual(since(i), { joins: ['u5'], leaves: ['u1'] });
  });

  test('a blip (Redis kept its data): nothing is counted twice, and a leave during the cut is counted', async (t) => {
    if (!(await redisAvailable())) return t.skip('needs Redis');
    const target = new URL(testRedisUrl);
    const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const base = await env(t, `redis://127.0.0.1:${proxy.port}`);
    if (!base) return;
    const nodes = (await Promise.all([startNode(base), startNode(base)])) as [Node, Node];
    const { users, logs } = await fourUsers(nodes, 'blip');

    const marks = nodes.map((n) => n.output().length);
    proxy.block();
    await Promise.all(nodes.map((n, i) => n.printed('Redis connection error', marks[i])));
    // u4 leaves while its node cannot reach Redis: only the node's memory knows.
    assert.ok((await acked((users[3] as (typeof users)[0]).socket).emitWithAck('room:leave', { room: 'blip' })).ok);
    proxy.unblock();
    await Promise.all([nodes[0].printed(healed(2), marks[0], 15_000), nodes[1].printed(healed(1), marks[1], 15_000)]);
    assert.deepEqual(await rooms(nodes[0]), [{ room: 'blip', members: 3 }]);

    // Counted twice, u1 would stay present after leaving and nobody would be told.
    const check = await assertPresenceWorks(nodes, 'blip', ['u1', 'u2', 'u3'], logs.slice(0, 3));
    await check.leaveAndCheck(users[0] as (typeof users)[0]);
  });
});
