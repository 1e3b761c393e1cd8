import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { Manager } from 'socket.io-client';
import type { DrainingEvent } from '../src/protocol.js';
import { type Node, redisAvailable, startNode, testPrefix, testRedisUrl } from './cluster-helpers.js';
import {
  acked,
  type ChatClient,
  chatClient,
  connectChat,
  createTestDatabase,
  type EventSource,
  presenceLog,
  tempDir,
  waitFor,
} from './helpers.js';

const jwtSecret = 'drain-jwt-secret-0123456789';

function token(sub: string) {
  return new SignJWT({ sub, name: sub.toUpperCase() })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(jwtSecret));
}

interface Seen {
  retryInMs: number;
  /** When `server:draining` arrived and when the transport closed, ms since the epoch. */
  drainingAt: number;
  closedAt: number;
  reason: string;
}

/** Resolves with what one socket saw of the drain. */
function watchDrain(socket: EventSource): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('not drained within 15 s')), 15_000);
    socket.once('server:draining', ({ retryInMs }: DrainingEvent) => {
      const drainingAt = Date.now();
      socket.once('disconnect', (reason: string) => {
        clearTimeout(timer);
        resolve({ retryInMs, drainingAt, closedAt: Date.now(), reason });
      });
    });
  });
}

describe('drain', () => {
  test('SIGTERM closes each transport at its own retryInMs, at DRAIN_RATE a second, then the process exits 0', async () => {
    const node = await startNode({ DATABASE_PATH: join(tempDir(), 'db.sqlite'), DRAIN_RATE: '20', DRAIN_MS: '10000' });
    const sockets: ChatClient[] = Array.from({ length: 40 }, () => chatClient(node.url));
    const drains = sockets.map(watchDrain);
    // One browser tab: /chat and /push over one connection get one retryInMs.
    const manager = new Manager(node.url, { transports: ['websocket'], reconnection: false });
    const tabChat = manager.socket('/chat');
    const tabPush = manager.socket('/push');
    const tab = [watchDrain(tabChat), watchDrain(tabPush)];
    await Promise.all(
      [...sockets, tabChat, tabPush].map((s) => {
        const connected = waitFor(s, 'connect');
        s.connect();
        return connected;
      }),
    );

    // 41 connections (the tab's two sockets share one) at 20 a second.
    const spreadMs = (41 * 1000) / 20;
    const signalled = Date.now();
    node.child.kill('SIGTERM');
    const seen = await Promise.all(drains);
    // The hard stop (SHUTDOWN_TIMEOUT_MS) would end it with 1 rather than hang.
    const exitCode = await node.exited;
    const exitedAt = Date.now();

    for (const s of seen) {
      assert.equal(s.reason, 'transport close', 'a reason that would stop the client reconnecting');
      assert.ok(s.retryInMs >= 0 && s.retryInMs < spreadMs, `retryInMs ${s.retryInMs}`);
      const after = s.closedAt - s.drainingAt;
      // Never before its time (a few ms for delivery), and within a 100 ms batch of it.
      assert.ok(after >= s.retryInMs - 50, `closed ${after} ms after draining, retryInMs ${s.retryInMs}`);
      assert.ok(after <= s.retryInMs + 350, `closed ${after} ms after draining, retryInMs ${s.retryInMs}`);
    }
    const closedAt = seen.map((s) => s.closedAt - signalled);
    const batches = new Set(closedAt.map((ms) => Math.floor(ms / 100)));
    const span = Math.max(...closedAt) - Math.min(...closedAt);
    assert.ok(span >= spreadMs / 2, `all closed within ${span} ms`);
    assert.ok(batches.size >= 8, `closed in only ${batches.size} batches`);

    const [chatSide, pushSide] = await Promise.all(tab);
    assert.equal(chatSide?.retryInMs, pushSide?.retryInMs, 'one connection, one time');

    assert.equal(exitCode, 0, node.output());
    const last = Math.max(...seen.map((s) => s.closedAt));
    assert.ok(exitedAt - last < 2500, `exited ${exitedAt - last} ms after the last close`);
  });
});

describe('presence across a drain', () => {
  test('a user back on another node soon after the drained one exits is never seen to leave; one who is not leaves then', async (t) => {
    const databaseUrl = await createTestDatabase();
    if (!databaseUrl || !(await redisAvailable())) return t.skip('needs Redis and PostgreSQL');
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: testRedisUrl,
      REDIS_PREFIX: testPrefix(),
      NODE_HEARTBEAT_MS: '300',
      DRAIN_RATE: '4',
      JWT_SECRET: jwtSecret,
    };
    const [a, b] = (await Promise.all([startNode(env), startNode(env)])) as [Node, Node];
    const watcher = await connectChat(b.url, { token: await token('watcher') });
    assert.ok((await acked(watcher.socket).emitWithAck('room:join', { room: 'move' })).ok);
    const mover = await connectChat(a.url, { token: await token('mover') });
    const leaver = await connectChat(a.url, { token: await token('leaver') });
    for (const u of [mover, leaver]) assert.ok((await acked(u.socket).emitWithAck('room:join', { room: 'move' })).ok);
    const seen = presenceLog(watcher.socket);
    await seen.until((log) => log.count === 3);
    const before = { joins: seen.joins.length, leaves: seen.leaves.length };

    // The mover comes back slowly: to the other node only once the drained one has exited.
    const disconnected = waitFor(mover.socket, 'disconnect', 10_000);
    a.child.kill('SIGTERM');
    await disconnected;
    assert.equal(await a.exited, 0);
    const again = await connectChat(b.url, { token: await token('mover') });
    const join = await acked(again.socket).emitWithAck('room:join', { room: 'move', after: 0 });
    assert.ok(join.ok);
    assert.deepEqual(join.members.map((m) => m.id).sort(), ['leaver', 'mover', 'watcher']);
    await seen.until((log) => log.leaves.some((m) => m.id === 'leaver'), 5000);
    assert.deepEqual(
      seen.leaves.slice(before.leaves).map((m) => m.id),
      ['leaver'],
    );
    assert.deepEqual(seen.joins.slice(before.joins), []);
    assert.equal(seen.count, 2);
    const rooms = (await (await fetch(`${b.url}/api/rooms`)).json()) as { rooms: { room: string; members: number }[] };
    assert.deepEqual(
      rooms.rooms.map(({ room, members }) => ({ room, members })),
      [{ room: 'move', members: 2 }],
    );
  });
});
