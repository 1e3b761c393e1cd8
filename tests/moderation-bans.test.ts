import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Ban, RoomRemovedEvent } from '../src/moderation/schemas.js';
import type { ErrorBody, Push } from '../src/protocol.js';
import { acked, type ChatClient, connectChat, connectPush, startApp, waitFor } from './helpers.js';
import { api, apiKey, connectAs, moderationEnv, token } from './moderation-helpers.js';

async function joinError(socket: ChatClient, room: string): Promise<ErrorBody | undefined> {
  const res = await acked(socket).emitWithAck('room:join', { room });
  return res.ok ? undefined : res.error;
}

async function join(socket: ChatClient, room: string): Promise<void> {
  assert.equal(await joinError(socket, room), undefined);
}

describe('bans and GET /api/rooms/:room/members', () => {
  test('a ban removes the user at once, refuses joins and sends with until, and is lifted', async () => {
    const { url } = await startApp(moderationEnv);
    const modToken = await token({ sub: 'mod', moderates: ['lobby'] });
    const troll = await connectAs(url, { sub: 'troll' });
    await join(troll.socket, 'lobby');
    await join(troll.socket, 'other');
    const until = Date.now() + 3_600_000;
    const removed = waitFor<RoomRemovedEvent>(troll.socket, 'room:removed');
    const made = await api<{ ban: Ban }>(url, 'POST', '/api/bans', modToken, { user: 'troll', room: 'lobby', until, reason: 'spam' });
    assert.equal(made.status, 201);
    const { ban } = made.body;
    assert.deepEqual(
      { ...ban, id: '', createdAt: 0 },
      {
        id: '',
        user: 'troll',
        room: 'lobby',
        until,
        reason: 'spam',
        by: { id: 'mod', name: 'mod', kind: 'user' },
        createdAt: 0,
      },
    );
    assert.deepEqual(await removed, { room: 'lobby', reason: 'banned', message: 'spam', until });
    const refused = await joinError(troll.socket, 'lobby');
    assert.deepEqual([refused?.code, refused?.until], ['forbidden', until]);
    const send = await acked(troll.socket).emitWithAck('message:send', { room: 'other', text: 'still here', clientId: 'o1' });
    assert.ok(send.ok, 'other rooms are untouched');
    const listed = await api<{ bans: Ban[] }>(url, 'GET', '/api/bans?room=lobby', modToken);
    assert.deepEqual(listed.body.bans, [ban]);
    const lifted = await api<{ ban: Ban }>(url, 'DELETE', `/api/bans/${ban.id}`, modToken);
    assert.deepEqual([lifted.status, lifted.body.ban], [200, ban]);
    await join(troll.socket, 'lobby');
    const again = await api(url, 'DELETE', `/api/bans/${ban.id}`, modToken);
    assert.deepEqual([again.status, again.body.error?.code], [404, 'not_found']);
    assert.deepEqual((await api<{ bans: Ban[] }>(url, 'GET', '/api/bans', apiKey)).body.bans, []);
  });

  test("a room's ban covers its push topic: the previews stop, and subscribing again is forbidden", async () => {
    const { url } = await startApp(moderationEnv);
    const trollToken = await token({ sub: 'troll' });
    const reader = await connectPush(url, { token: trollToken });
    for (const topic of ['room:lobby', 'room:other']) assert.ok((await acked(reader.socket).emitWithAck('push:subscribe', { topic })).ok);
    const until = Date.now() + 3_600_000;
    assert.equal((await api(url, 'POST', '/api/bans', apiKey, { user: 'troll', room: 'lobby', until })).status, 201);
    // Published in this order by one node: a lobby preview would come before the other room's.
    const next = waitFor<Push>(reader.socket, 'push:new');
    const writer = await connectChat(url, { name: 'Writer' });
    for (const room of ['lobby', 'other']) {
      await join(writer.socket, room);
      assert.ok((await acked(writer.socket).emitWithAck('message:send', { room, text: `in ${room}`, clientId: room })).ok);
    }
    assert.equal((await next).topic, 'room:other');
    const again = await acked(reader.socket).emitWithAck('push:subscribe', { topic: 'room:lobby' });
    assert.deepEqual(again.ok ? 'ok' : [again.error.code, again.error.until], ['forbidden', until]);
  });

  test('an admin bans a guest id everywhere, or an address; a ban without until lasts for good', async () => {
    const { url } = await startApp(moderationEnv);
    const guest = await connectChat(url, { name: 'Guesty' });
    await join(guest.socket, 'a');
    await join(guest.socket, 'b');
    const removed: RoomRemovedEvent[] = [];
    guest.socket.on('room:removed', (event) => removed.push(event));
    const both = Promise.all([waitFor(guest.socket, 'room:removed'), waitFor(guest.socket, 'room:removed')]);
    const everywhere = await api<{ ban: Ban }>(url, 'POST', '/api/bans', apiKey, { user: guest.user.id });
    assert.equal(everywhere.status, 201);
    await both;
    assert.deepEqual(removed.map((e) => e.room).sort(), ['a', 'b']);
    assert.deepEqual(removed[0], { room: removed[0]?.room, reason: 'banned' });
    const refused = await joinError(guest.socket, 'c');
    assert.equal(refused?.code, 'forbidden');
    assert.equal(refused?.until, undefined, 'for good: no until');
    assert.equal((await api(url, 'DELETE', `/api/bans/${everywhere.body.ban.id}`, apiKey)).status, 200);

    // Every test client comes from 127.0.0.1.
    const other = await connectAs(url, { sub: 'ada' });
    await join(other.socket, 'lobby');
    const out = waitFor<RoomRemovedEvent>(other.socket, 'room:removed');
    const byAddress = await api<{ ban: Ban }>(url, 'POST', '/api/bans', apiKey, { ip: '127.0.0.1', room: 'lobby' });
    assert.equal(byAddress.body.ban.ip, '127.0.0.1');
    assert.equal((await out).reason, 'banned');
    assert.equal((await joinError(other.socket, 'lobby'))?.code, 'forbidden');
    const v6 = await api<{ ban: Ban }>(url, 'POST', '/api/bans', apiKey, { ip: '2001:db8:1:2:3:4:5:6' });
    assert.equal(v6.body.ban.ip, '2001:db8:1:2::/64', 'an IPv6 address is banned by its /64, as the limits count');
  });

  test('refusals: who may ban what, bad bodies, unknown bans', async () => {
    const { url } = await startApp(moderationEnv);
    const modToken = await token({ sub: 'mod', moderates: ['lobby'] });
    const starToken = await token({ sub: 'star', moderates: ['*'] });
    const global = await api<{ ban: Ban }>(url, 'POST', '/api/bans', apiKey, { user: 'x' });
    const cases: [string, string, string, unknown, number, string][] = [
      ['POST', '/api/bans', '', { user: 'a', room: 'lobby' }, 401, 'unauthorized'],
      ['POST', '/api/bans', '', '{"user":', 401, 'unauthorized'],
      ['POST', '/api/bans', await token({ sub: 'ada' }), { user: 'a', room: 'lobby' }, 403, 'forbidden'],
      ['POST', '/api/bans', modToken, { user: 'a', room: 'other' }, 403, 'forbidden'],
      ['POST', '/api/bans', modToken, { user: 'a' }, 403, 'forbidden'],
      ['POST', '/api/bans', starToken, { user: 'a' }, 403, 'forbidden'],
      ['POST', '/api/bans', modToken, { ip: '10.0.0.1', room: 'lobby' }, 403, 'forbidden'],
      ['POST', '/api/bans', apiKey, { user: 'a', ip: '10.0.0.1' }, 400, 'bad_request'],
      ['POST', '/api/bans', apiKey, { room: 'lobby' }, 400, 'bad_request'],
      ['POST', '/api/bans', apiKey, { ip: 'not-an-ip' }, 400, 'bad_request'],
      ['POST', '/api/bans', apiKey, { user: 'a', until: Date.now() - 1000 }, 400, 'bad_request'],
      ['POST', '/api/bans', apiKey, { user: 'a', until: 2 ** 53 }, 400, 'bad_request'],
      ['POST', '/api/bans', apiKey, { user: '' }, 400, 'bad_request'],
      ['POST', '/api/bans', apiKey, { user: 'a', room: 'bad room' }, 400, 'bad_request'],
      ['GET', '/api/bans?room=other', modToken, undefined, 403, 'forbidden'],
      ['DELETE', `/api/bans/${global.body.ban.id}`, modToken, undefined, 403, 'forbidden'],
      ['DELETE', '/api/bans/00000000-0000-0000-0000-000000000000', apiKey, undefined, 404, 'not_found'],
      ['DELETE', '/api/bans/nope', apiKey, undefined, 400, 'bad_request'],
      ['GET', '/api/rooms/lobby/members', modToken, undefined, 403, 'forbidden'],
    ];
    for (const [method, path, credentials, body, status, code] of cases) {
      const res = await api(url, method, path, credentials, body);
      assert.deepEqual([res.status, res.body.error?.code], [status, code], `${method} ${path} ${JSON.stringify(body)}`);
    }
    assert.deepEqual((await api<{ bans: Ban[] }>(url, 'GET', '/api/bans', modToken)).body.bans, [], 'a moderator sees only their rooms');
  });

  test('bans survive a restart; members lists who is in with their addresses', async () => {
    const first = await startApp(moderationEnv);
    const made = await api<{ ban: Ban }>(first.url, 'POST', '/api/bans', apiKey, { user: 'troll', room: 'lobby' });
    assert.equal(made.status, 201);
    await first.close();
    const second = await startApp({ ...moderationEnv, DATABASE_PATH: first.databasePath });
    const troll = await connectAs(second.url, { sub: 'troll' });
    assert.equal((await joinError(troll.socket, 'lobby'))?.code, 'forbidden');
    assert.deepEqual((await api<{ bans: Ban[] }>(second.url, 'GET', '/api/bans', apiKey)).body.bans, [made.body.ban]);

    const ada = await connectAs(second.url, { sub: 'ada', name: 'Ada' });
    const tab = await connectAs(second.url, { sub: 'ada', name: 'Ada' });
    for (const socket of [ada.socket, tab.socket]) await join(socket, 'tea');
    const members = await api(second.url, 'GET', '/api/rooms/tea/members', await token({ sub: 'root', admin: true }));
    assert.deepEqual(members.body, { members: [{ id: 'ada', name: 'Ada', kind: 'user', addresses: ['127.0.0.1'] }] });
  });
});
