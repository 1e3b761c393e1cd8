import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { SignJWT } from 'jose';
import { createClient } from 'redis';
import { io, type Socket } from 'socket.io-client';
import type { AckResult, Message, PresenceEvent, Push, PushClientToServer, PushServerToClient, TypingEvent } from '../src/protocol.js';
import { type Node, ownRedis, redisAvailable, startNode, tcpProxy, testPrefix, testRedisUrl } from './cluster-helpers.js';
import { acked, type ChatClient, connectChat, createTestDatabase, nextMessages, tempDir, waitFor } from './helpers.js';

const jwtSecret = 'cluster-jwt-secret-0123456789';
const apiKey = 'cluster-api-key-0123456789';

function token(sub: string) {
  return new SignJWT({ sub, name: sub.toUpperCase() })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(jwtSecret));
}

/** Redis and PostgreSQL for this file, or a skip (said loudly) outside CI when absent. */
async function services(t: TestContext, redisUrl = testRedisUrl) {
  const databaseUrl = await createTestDatabase();
  if (!databaseUrl || !(await redisAvailable(redisUrl))) {
    t.skip('needs Redis and PostgreSQL');
    return undefined;
  }
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: testPrefix(redisUrl),
    JWT_SECRET: jwtSecret,
    API_KEY: apiKey,
    NODE_HEARTBEAT_MS: '300',
    MESSAGE_RATE_BURST: '100',
  };
}

function send(socket: ChatClient, room: string, text: string, clientId: string) {
  return acked(socket).emitWithAck('message:send', { room, text, clientId });
}

/** A message sent by a client of one node reaches a client of the other, through Redis. */
async function assertMessageCrosses(from: Node, to: Node, room: string): Promise<void> {
  const a = await connectChat(from.url);
  const b = await connectChat(to.url);
  await acked(a.socket).emitWithAck('room:join', { room });
  await acked(b.socket).emitWithAck('room:join', { room });
  const crossed = waitFor<Message>(b.socket, 'message:new');
  assert.ok((await send(a.socket, room, `across ${room}`, room)).ok);
  assert.equal((await crossed).text, `across ${room}`);
}

describe('several nodes sharing Redis and PostgreSQL', () => {
  test('one chat across three nodes: order, history, dedupe, typing, presence, pushes, node death', async (t) => {
    const env = await services(t);
    if (!env) return;
    const nodes = await Promise.all([1, 2, 3].map((i) => startNode({ ...env, NODE_NAME: `node${i}` })));
    const [n1, n2, n3] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]];
    const users = await Promise.all(nodes.map(async (node, i) => connectChat(node.url, { token: await token(`u${i + 1}`) })));
    const [c1, c2, c3] = users as [(typeof users)[0], (typeof users)[0], (typeof users)[0]];

    // Presence: one count across nodes; a second tab of u1 on another node counts once.
    for (const c of users) assert.equal((await acked(c.socket).emitWithAck('room:join', { room: 'lobby' })).ok, true);
    const tab2 = await connectChat(n2.url, { token: await token('u1') });
    const tabJoin = await acked(tab2.socket).emitWithAck('room:join', { room: 'lobby' });
    assert.ok(tabJoin.ok);
    assert.deepEqual(tabJoin.members.map((m) => m.id).sort(), ['u1', 'u2', 'u3']);

    // Ten messages from each node at once: everyone sees one order, 1..30.
    const seen = users.map((c) => nextMessages(c.socket, 30));
    await Promise.all(
      users.flatMap((c, i) => Array.from({ length: 10 }, (_, k) => send(c.socket, 'lobby', `n${i + 1}-${k}`, `c${i}-${k}`))),
    );
    // Messages from other nodes may arrive in another order than local ones; seq is the order
    // every client agrees on (clients merge by seq), with no gap and no repeat.
    const orders = (await Promise.all(seen)).map((list) => [...list].sort((x, y) => x.seq - y.seq));
    assert.deepEqual(
      orders[0]?.map((m) => m.seq),
      Array.from({ length: 30 }, (_, i) => i + 1),
    );
    assert.deepEqual(orders[1], orders[0]);
    assert.deepEqual(orders[2], orders[0]);

    // History and `after` recovery are the same on every node.
    const pages = await Promise.all(
      nodes.map(async (node) => {
        const reader = await connectChat(node.url);
        const page = await acked(reader.socket).emitWithAck('message:history', { room: 'lobby', after: 10, limit: 100 });
        reader.socket.disconnect();
        assert.ok(page.ok);
        return page.messages;
      }),
    );
    assert.deepEqual(pages[0], orders[0]?.slice(10));
    assert.deepEqual(pages[1], pages[0]);
    assert.deepEqual(pages[2], pages[0]);

    // The same send from two tabs of one user on two nodes is one message and one broadcast.
    const c3Seen: Message[] = [];
    c3.socket.on('message:new', (m) => c3Seen.push(m));
    const [a, b] = await Promise.all([send(c1.socket, 'lobby', 'once', 'dup'), send(tab2.socket, 'lobby', 'once', 'dup')]);
    assert.ok(a.ok && b.ok, JSON.stringify([a, b]));
    assert.deepEqual(a.message, b.message);
    const marker = new Promise<void>((resolve) => c3.socket.on('message:new', (m) => m.text === 'marker' && resolve()));
    await send(c2.socket, 'lobby', 'marker', 'marker');
    await marker;
    assert.deepEqual(
      c3Seen.map((m) => m.text),
      ['once', 'marker'],
    );
    assert.equal(c3Seen[1]?.seq, 32, 'the duplicate took a seq');

    // Typing crosses nodes.
    const typing = waitFor<TypingEvent>(c3.socket, 'typing:update');
    c1.socket.emit('typing:update', { room: 'lobby', typing: true });
    assert.equal((await typing).user.id, 'u1');

    // A push sent over HTTP to node 1 reaches a subscriber on node 3; a chat message's push too.
    const pushClient: Socket<PushServerToClient, PushClientToServer> = io(`${n3.url}/push`, {
      transports: ['websocket'],
      reconnection: false,
      auth: { token: await token('u3') },
    });
    t.after(() => pushClient.disconnect());
    await waitFor(pushClient, 'session');
    const sub = (await acked(pushClient).emitWithAck('push:subscribe', { topic: 'news' })) as AckResult<object>;
    assert.ok(sub.ok);
    const pushed = waitFor<Push>(pushClient, 'push:new');
    const res = await fetch(`${n1.url}/api/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ topic: 'user:u3', event: 'hello', data: { from: 'node1' } }),
    });
    assert.equal(res.status, 202);
    assert.deepEqual((await pushed).data, { from: 'node1' });

    // Push recovery is the same on every node: seq and retention live in Redis.
    await fetch(`${n2.url}/api/push`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ pushes: [1, 2, 3].map((data) => ({ topic: 'feed', data })) }),
    });
    const recovered = await Promise.all(
      [n1, n3].map(async (node) => {
        const client: Socket<PushServerToClient, PushClientToServer> = io(`${node.url}/push`, {
          transports: ['websocket'],
          reconnection: false,
        });
        t.after(() => client.disconnect());
        await waitFor(client, 'session');
        return acked(client).emitWithAck('push:subscribe', { topic: 'feed', after: 1 });
      }),
    );
    for (const ack of recovered) {
      assert.ok(ack.ok);
      assert.deepEqual(
        ack.missed.map((p) => [p.seq, p.data]),
        [
          [2, 2],
          [3, 3],
        ],
      );
      assert.equal(ack.lastSeq, 3);
    }
    assert.deepEqual(recovered[0], recovered[1]);

    // A node killed without goodbye: its users leave the count within a few heartbeats.
    const left = new Promise<PresenceEvent>((resolve) => c1.socket.on('presence:update', (e) => e.left?.id === 'u3' && resolve(e)));
    n3.child.kill('SIGKILL');
    const gone = await Promise.race([
      left,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('u3 never left')), 10_000)),
    ]);
    assert.deepEqual(gone, { room: 'lobby', left: { id: 'u3', name: 'U3', kind: 'user' }, count: 2 });
    const rooms = (await (await fetch(`${n1.url}/api/rooms`)).json()) as { rooms: { room: string; members: number }[] };
    assert.deepEqual(rooms.rooms, [{ room: 'lobby', members: 2, count: 2, lastSeq: 32 }]);
  });

  test('Redis stopped and restarted: nothing acknowledged is lost, the process lives, clients resync', async (t) => {
    const redis = await ownRedis();
    const env = await services(t, redis.url);
    if (!env) return;
    const [n1, n2] = await Promise.all([startNode(env), startNode(env)]);
    const a = await connectChat(n1.url, { token: await token('alice') });
    const b = await connectChat(n2.url, { token: await token('bob') });
    await acked(a.socket).emitWithAck('room:join', { room: 'ops' });
    await acked(b.socket).emitWithAck('room:join', { room: 'ops' });
    const live = waitFor<Message>(b.socket, 'message:new');
    assert.ok((await send(a.socket, 'ops', 'before', 'm1')).ok);
    assert.equal((await live).text, 'before');

    const mark = n1.output().length;
    await redis.stop();
    await n1.printed('Redis connection error', mark);
    assert.equal((await fetch(`${n1.url}/readyz`)).status, 503);
    const during = await send(a.socket, 'ops', 'during the outage', 'm2');
    assert.ok(during.ok, JSON.stringify(during));

    const hint = waitFor(b.socket, 'sync:hint', 20_000);
    const marks = [n1.output().length, n2.output().length];
    await redis.start();
    await hint;
    // Live delivery resumes once both connections of both nodes are back.
    await Promise.all(
      [n1, n2].flatMap((node, i) =>
        ['commands', 'subscriber'].map((c) => node.printed(`"connection":"${c}","msg":"Redis connection back"`, marks[i])),
      ),
    );
    const caughtUp = await acked(b.socket).emitWithAck('message:history', { room: 'ops', after: 1 });
    assert.ok(caughtUp.ok);
    assert.deepEqual(
      caughtUp.messages.map((m) => m.text),
      ['during the outage'],
    );
    const after = waitFor<Message>(b.socket, 'message:new');
    assert.ok((await send(a.socket, 'ops', 'after', 'm3')).ok);
    assert.equal((await after).seq, 3);
    assert.equal((await fetch(`${n1.url}/readyz`)).status, 200);
    assert.equal(n1.child.exitCode, null, 'node 1 died');
    assert.equal(n2.child.exitCode, null, 'node 2 died');
  });

  test('PostgreSQL unreachable: sends answer unavailable quickly, and the node recovers by itself', async (t) => {
    const databaseUrl = await createTestDatabase();
    if (!databaseUrl || !(await redisAvailable())) return t.skip('needs Redis and PostgreSQL');
    const target = new URL(databaseUrl);
    const proxy = await tcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    target.host = `127.0.0.1:${proxy.port}`;
    const node = await startNode({ DATABASE_URL: target.toString(), REDIS_URL: testRedisUrl, REDIS_PREFIX: testPrefix() });
    const a = await connectChat(node.url);
    await acked(a.socket).emitWithAck('room:join', { room: 'db' });
    assert.ok((await send(a.socket, 'db', 'stored', 'p1')).ok);

    proxy.block();
    const started = Date.now();
    const refused = await send(a.socket, 'db', 'refused', 'p2');
    assert.ok(!refused.ok);
    assert.equal(refused.error.code, 'unavailable');
    assert.ok(Date.now() - started < 4000, 'the send hung instead of answering unavailable');
    assert.equal((await fetch(`${node.url}/readyz`)).status, 503);

    proxy.unblock();
    const ok = await send(a.socket, 'db', 'back', 'p3');
    assert.ok(ok.ok, JSON.stringify(ok));
    const history = await acked(a.socket).emitWithAck('message:history', { room: 'db' });
    assert.ok(history.ok);
    assert.deepEqual(
      history.messages.map((m) => [m.seq, m.text]),
      [
        [1, 'stored'],
        [2, 'back'],
      ],
    );
    assert.equal((await fetch(`${node.url}/readyz`)).status, 200);
  });

  test('rediss:// with a self-signed certificate: refused by default, accepted with REDIS_TLS_INSECURE=1', async (t) => {
    const redis = await ownRedis({ tls: true });
    const env = await services(t, redis.url);
    if (!env) return;
    const strict = await startNode(env);
    await strict.printed('Redis connection error');
    assert.equal((await fetch(`${strict.url}/readyz`)).status, 503);
    // Two nodes over TLS, so the subscriber (a duplicate of the first client) must carry TLS too.
    const [n1, n2] = (await Promise.all([1, 2].map(() => startNode({ ...env, REDIS_TLS_INSECURE: '1' })))) as [Node, Node];
    await n1.printed('"tls":true');
    assert.equal((await fetch(`${n1.url}/readyz`)).status, 200);
    await assertMessageCrosses(n1, n2, 'tls');
  });

  test('the sharded adapter carries a chat across nodes', async (t) => {
    const env = await services(t);
    if (!env) return;
    const [n1, n2] = (await Promise.all([1, 2].map(() => startNode({ ...env, REDIS_SHARDED: '1' })))) as [Node, Node];
    await assertMessageCrosses(n1, n2, 'shards');
  });

  test('REDIS_URL without DATABASE_URL warns that history is per node; a node holds two Redis connections', async (t) => {
    if (!(await redisAvailable())) return t.skip('needs Redis');
    const prefix = testPrefix();
    const node = await startNode({ REDIS_URL: testRedisUrl, REDIS_PREFIX: prefix, DATABASE_PATH: join(tempDir(), 'db.sqlite') });
    await node.printed('each node keeps its own SQLite history, which is unsafe with more than one node');
    // Chat, push, presence and live data all in use, then count the node's connections.
    const chat = await connectChat(node.url);
    await acked(chat.socket).emitWithAck('room:join', { room: 'count' });
    assert.ok((await send(chat.socket, 'count', 'hi', 'k1')).ok);
    assert.equal((await fetch(`${node.url}/api/rooms/count/live`, { method: 'POST' })).status, 202);
    const admin = createClient({ url: testRedisUrl });
    admin.on('error', () => undefined);
    await admin.connect();
    t.after(() => admin.close());
    const names = (await admin.clientList()).map((c) => c.name).filter((name) => name.startsWith(prefix));
    assert.equal(names.length, 2, names.join(', '));
    assert.deepEqual(names.map((name) => name.split(':').pop()).sort(), ['commands', 'subscriber']);
  });
});
