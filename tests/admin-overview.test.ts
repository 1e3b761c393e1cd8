import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import type { Message } from '../src/protocol.js';
import { createMessageRate } from '../src/realtime/message-rate.js';
import { redisAvailable, startNode, testPrefix, testRedisUrl } from './cluster-helpers.js';
import { acked, type ChatClient, connectChat, createTestDatabase, startApp, waitFor } from './helpers.js';
import { api, apiKey, connectAs, moderationEnv, token } from './moderation-helpers.js';

interface Overview {
  nodes: { name: string; connections: { chat: number; push: number }; rooms: number; startedAt: number; rssBytes: number }[];
  rooms: { room: string; members: number; messagesPerMinute: number; lastSeq: number }[];
}

function send(socket: ChatClient, room: string, text: string) {
  return acked(socket).emitWithAck('message:send', { room, text, clientId: `${room}-${text}` });
}

describe('the message rate ring', () => {
  test('counts per room over the last 60 s and forgets a quiet room', () => {
    let now = 1_000_000;
    const rate = createMessageRate(() => now);
    rate.count('a');
    rate.count('a');
    now += 30_000;
    rate.count('a');
    rate.count('b');
    assert.deepEqual(
      [...rate.perMinute()],
      [
        ['a', 3],
        ['b', 1],
      ],
    );
    now += 30_500; // the first two are 60.5 s old now
    assert.deepEqual(
      [...rate.perMinute()],
      [
        ['a', 1],
        ['b', 1],
      ],
    );
    now += 120_000; // a ring idle for more than its whole window is cleared whole
    rate.count('b');
    assert.deepEqual([...rate.perMinute()], [['b', 1]]);
  });
});

describe('GET /api/admin/overview (protocol 6.4)', () => {
  test('admins only: the API key or an admin JWT; moderators, users and nobody are refused', async () => {
    const { url } = await startApp({ ...moderationEnv, NODE_NAME: 'solo' });
    const path = '/api/admin/overview';
    assert.equal((await api(url, 'GET', path, '')).status, 401);
    assert.equal((await api(url, 'GET', path, 'not-a-token')).body.error?.code, 'invalid_token');
    const moderator = await api(url, 'GET', path, await token({ sub: 'mod', moderates: ['lobby'] }));
    assert.equal(moderator.status, 403);
    assert.equal(moderator.body.error?.code, 'forbidden');
    assert.equal((await api(url, 'GET', path, await token({ sub: 'ada' }))).status, 403);

    const ada = await connectAs(url, { sub: 'ada', name: 'Ada' });
    assert.ok((await acked(ada.socket).emitWithAck('room:join', { room: 'lobby' })).ok);
    for (const text of ['one', 'two', 'three']) assert.ok((await send(ada.socket, 'lobby', text)).ok);
    for (const credentials of [apiKey, await token({ sub: 'root', admin: true })]) {
      const { status, body } = await api<Overview>(url, 'GET', path, credentials);
      assert.equal(status, 200);
      assert.equal(body.nodes.length, 1);
      const [node] = body.nodes;
      assert.equal(node?.name, 'solo');
      assert.deepEqual(node?.connections, { chat: 1, push: 0 });
      assert.equal(node?.rooms, 1);
      assert.ok(node && node.rssBytes > 0 && node.startedAt <= Date.now());
      assert.deepEqual(body.rooms, [{ room: 'lobby', members: 1, messagesPerMinute: 3, lastSeq: 3 }]);
    }
  });

  test('observe: a moderator gets the room broadcasts, is not in its presence, and may not send', async () => {
    const { url } = await startApp(moderationEnv);
    const ada = await connectAs(url, { sub: 'ada', name: 'Ada' });
    assert.ok((await acked(ada.socket).emitWithAck('room:join', { room: 'lobby' })).ok);
    const user = await connectAs(url, { sub: 'bob' });
    const refused = await acked(user.socket).emitWithAck('room:join', { room: 'lobby', observe: true });
    assert.equal(refused.ok ? 'ok' : refused.error.code, 'forbidden');
    const bad = await acked(user.socket).emitWithAck('room:join', { room: 'lobby', observe: false } as never);
    assert.equal(bad.ok ? 'ok' : bad.error.code, 'bad_request');

    const mod = await connectAs(url, { sub: 'mod', name: 'Mod', moderates: ['lobby'] });
    const presence: unknown[] = [];
    ada.socket.on('presence:update', (event) => presence.push(event));
    const observed = await acked(mod.socket).emitWithAck('room:join', { room: 'lobby', observe: true });
    assert.ok(observed.ok);
    assert.deepEqual(
      observed.members.map((m) => m.id),
      ['ada'],
    );
    const arrives = waitFor<Message>(mod.socket, 'message:new');
    assert.ok((await send(ada.socket, 'lobby', 'seen by the observer')).ok);
    assert.equal((await arrives).text, 'seen by the observer');
    const sent = await send(mod.socket, 'lobby', 'from an observer');
    assert.equal(sent.ok ? 'ok' : sent.error.code, 'forbidden');
    // Someone else joining is announced; the observer never was.
    const eve = await connectAs(url, { sub: 'eve' });
    const joined = waitFor(ada.socket, 'presence:update');
    const eveJoin = await acked(eve.socket).emitWithAck('room:join', { room: 'lobby' });
    await joined;
    assert.deepEqual(eveJoin.ok && eveJoin.members.map((m) => m.id).sort(), ['ada', 'eve']);
    assert.deepEqual(presence, [{ room: 'lobby', count: 2, joined: { id: 'eve', name: 'eve', kind: 'user' } }]);
    // A moderator in the room as a member must leave it before observing it.
    const member = await connectAs(url, { sub: 'mod2', moderates: ['*'] });
    assert.ok((await acked(member.socket).emitWithAck('room:join', { room: 'lobby' })).ok);
    const twice = await acked(member.socket).emitWithAck('room:join', { room: 'lobby', observe: true });
    assert.equal(twice.ok ? 'ok' : twice.error.code, 'bad_request');
  });

  test('two nodes: both listed, members and messages per minute summed over them', async (t: TestContext) => {
    const databaseUrl = await createTestDatabase();
    if (!databaseUrl || !(await redisAvailable())) return t.skip('needs Redis and PostgreSQL');
    const env = { ...moderationEnv, DATABASE_URL: databaseUrl, REDIS_URL: testRedisUrl, REDIS_PREFIX: testPrefix() };
    const [a, b] = await Promise.all([startNode({ ...env, NODE_NAME: 'node-a' }), startNode({ ...env, NODE_NAME: 'node-b' })]);
    const ann = await connectAs(a.url, { sub: 'ann' });
    const bob = await connectAs(b.url, { sub: 'bob' });
    const guest = await connectChat(b.url);
    for (const { socket } of [ann, bob]) assert.ok((await acked(socket).emitWithAck('room:join', { room: 'lobby' })).ok);
    assert.ok((await acked(guest.socket).emitWithAck('room:join', { room: 'quiet' })).ok);
    assert.ok((await send(ann.socket, 'lobby', 'a1')).ok);
    assert.ok((await send(bob.socket, 'lobby', 'b1')).ok);
    assert.ok((await send(bob.socket, 'lobby', 'b2')).ok);
    const { status, body } = await api<Overview>(a.url, 'GET', '/api/admin/overview', apiKey);
    assert.equal(status, 200);
    assert.deepEqual(
      body.nodes.map((n) => [n.name, n.connections.chat, n.rooms]),
      [
        ['node-a', 1, 1],
        ['node-b', 2, 2],
      ],
    );
    assert.deepEqual(body.rooms, [
      { room: 'lobby', members: 2, messagesPerMinute: 3, lastSeq: 3 },
      { room: 'quiet', members: 1, messagesPerMinute: 0, lastSeq: 0 },
    ]);
  });
});
