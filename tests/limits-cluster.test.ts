import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, type TestContext, test } from 'node:test';
import { SignJWT } from 'jose';
import type { ErrorBody } from '../src/protocol.js';
import { ownRedis, redisAvailable, tcpProxy, testPrefix, testRedisUrl } from './cluster-helpers.js';
import { acked, type ChatClient, chatClient, connectChat, type Running, startApp } from './helpers.js';

const jwtSecret = 'limits-jwt-secret-0123456789';

function token(sub: string) {
  return new SignJWT({ sub, name: sub })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(jwtSecret));
}

/** Nodes in this process sharing one Redis (each with its own SQLite file: only limits are looked at). */
async function nodesOn(t: TestContext, env: Record<string, string>, { count = 2, redisUrl = testRedisUrl } = {}) {
  if (!(await redisAvailable(redisUrl))) {
    t.skip('needs Redis');
    return undefined;
  }
  const shared = { REDIS_URL: redisUrl, REDIS_PREFIX: testPrefix(redisUrl), JWT_SECRET: jwtSecret, ...env };
  return Promise.all(Array.from({ length: count }, (_, i) => startApp({ ...shared, NODE_NAME: `node${i}` })));
}

function send(socket: ChatClient, room: string) {
  return acked(socket).emitWithAck('message:send', { room, text: 'hello', clientId: randomUUID() });
}

async function connectRefused(url: string): Promise<ErrorBody | undefined> {
  const socket = chatClient(url);
  const outcome = new Promise<ErrorBody | undefined>((resolve) => {
    socket.once('session', () => resolve(undefined));
    socket.once('connect_error', (err: Error & { data?: ErrorBody }) => resolve(err.data));
  });
  socket.connect();
  return outcome;
}

describe('limits shared by the nodes through Redis', () => {
  test('a user with sockets on two nodes has one message allowance, not one per node', async (t) => {
    // 10 per 10 s: the whole flood falls in one window.
    const nodes = await nodesOn(t, { MESSAGE_RATE_PER_SEC: '1', MESSAGE_RATE_BURST: '10' });
    if (!nodes) return;
    const [, other] = nodes as [Running, Running];
    const auth = { token: await token('ada') };
    const sockets = await Promise.all(nodes.flatMap((node) => Array.from({ length: 5 }, () => connectChat(node.url, auth))));
    await Promise.all(sockets.map((c) => acked(c.socket).emitWithAck('room:join', { room: 'shared' })));
    const acks = await Promise.all(sockets.flatMap((c) => Array.from({ length: 10 }, () => send(c.socket, 'shared'))));
    assert.equal(acks.filter((a) => a.ok).length, 10);
    for (const a of acks) if (!a.ok) assert.equal(a.error.code, 'rate_limited');
    const someone = await connectChat(other.url, { token: await token('bob') });
    await acked(someone.socket).emitWithAck('room:join', { room: 'shared' });
    assert.ok((await send(someone.socket, 'shared')).ok, 'another user is not refused');
  });

  test('new connections per address a minute are counted across nodes', async (t) => {
    const nodes = await nodesOn(t, { CONNECTION_RATE_PER_ADDRESS: '4' });
    if (!nodes) return;
    const [a, b] = nodes as [Running, Running];
    const outcomes = [];
    for (const url of [a.url, b.url, a.url, b.url, b.url]) outcomes.push((await connectRefused(url))?.code ?? 'ok');
    assert.deepEqual(outcomes, ['ok', 'ok', 'ok', 'ok', 'rate_limited']);
  });

  test('Redis down or stalled: limits count in each node, and nobody waits for Redis', async (t) => {
    if (!(await redisAvailable())) return t.skip('needs Redis');
    const redis = await ownRedis();
    const port = Number(new URL(redis.url).port);
    const proxy = await tcpProxy({ host: '127.0.0.1', port });
    const env = { MESSAGE_RATE_PER_SEC: '1', MESSAGE_RATE_BURST: '10' };
    const [node] = (await nodesOn(t, env, { count: 1, redisUrl: `redis://127.0.0.1:${proxy.port}` })) ?? [];
    if (!node) return;
    const ada = await connectChat(node.url, { token: await token('ada') });
    await acked(ada.socket).emitWithAck('room:join', { room: 'outage' });

    // Stalled: every limit waits at most 500 ms for Redis, then counts in memory.
    proxy.stall();
    const started = performance.now();
    const stalled = await Promise.all(Array.from({ length: 12 }, () => send(ada.socket, 'outage')));
    assert.ok(performance.now() - started < 3000, `answered in ${Math.round(performance.now() - started)} ms`);
    assert.equal(stalled.filter((a) => a.ok).length, 10, 'the node still counts');
    const guest = await connectChat(node.url, { name: 'Newcomer' });
    assert.equal(guest.user.name, 'Newcomer', 'a handshake does not wait for Redis either');

    // Down: refused at once, and counted in memory the same way.
    proxy.resume();
    await redis.stop();
    const bob = await connectChat(node.url, { token: await token('bob') });
    await acked(bob.socket).emitWithAck('room:join', { room: 'outage' });
    const down = await Promise.all(Array.from({ length: 12 }, () => send(bob.socket, 'outage')));
    assert.equal(down.filter((a) => a.ok).length, 10);
    for (const a of down) if (!a.ok) assert.equal(a.error.code, 'rate_limited');
    assert.equal((await fetch(`${node.url}/healthz`)).status, 200);
  });
});
