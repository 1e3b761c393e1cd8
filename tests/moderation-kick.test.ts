import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RoomRemovedEvent } from '../src/moderation/schemas.js';
import type { Message } from '../src/protocol.js';
import { acked, type ChatClient, connectChat, nextMessages, presenceLog, startApp, waitFor } from './helpers.js';
import { api, apiKey, connectAs, moderationEnv, token } from './moderation-helpers.js';

async function join(socket: ChatClient, room: string) {
  const res = await acked(socket).emitWithAck('room:join', { room });
  assert.ok(res.ok, JSON.stringify(res));
}

describe('room:kick and POST /api/rooms/:room/kick', () => {
  test('every socket of the user leaves the room and is told why; the room sees them leave; they may join again', async () => {
    const { url } = await startApp(moderationEnv);
    const mod = await connectAs(url, { sub: 'mod', moderates: ['lobby'] });
    const tab1 = await connectAs(url, { sub: 'troll' });
    const tab2 = await connectAs(url, { sub: 'troll' });
    for (const socket of [mod.socket, tab1.socket, tab2.socket]) await join(socket, 'lobby');
    await join(tab1.socket, 'other');
    const presence = presenceLog(mod.socket);
    const removed = [tab1, tab2].map((tab) => waitFor<RoomRemovedEvent>(tab.socket, 'room:removed'));
    const res = await acked(mod.socket).emitWithAck('room:kick', { room: 'lobby', user: 'troll', reason: '  Be nice\u0000 ' });
    assert.deepEqual(res, { ok: true });
    for (const event of await Promise.all(removed)) assert.deepEqual(event, { room: 'lobby', reason: 'kicked', message: 'Be nice' });
    // Joined and kicked within one presence window, the troll may be in neither list: the count says it.
    await presence.until((log) => log.count === 1);
    const inOther = nextMessages(tab1.socket, 1);
    const seen: Message[] = [];
    tab2.socket.on('message:new', (m) => seen.push(m));
    assert.ok((await acked(mod.socket).emitWithAck('message:send', { room: 'lobby', text: 'gone?', clientId: 'k1' })).ok);
    assert.ok((await acked(mod.socket).emitWithAck('room:join', { room: 'other' })).ok);
    assert.ok((await acked(mod.socket).emitWithAck('message:send', { room: 'other', text: 'still here', clientId: 'k2' })).ok);
    assert.equal((await inOther)[0]?.text, 'still here', 'the other room is untouched');
    assert.deepEqual(seen, [], 'a kicked socket gets nothing more of the room');
    const refused = await acked(tab2.socket).emitWithAck('message:send', { room: 'lobby', text: 'x', clientId: 'k3' });
    assert.equal(refused.ok ? 'ok' : refused.error.code, 'forbidden');
    await join(tab2.socket, 'lobby');
  });

  test('refused: not a moderator of the room, a user not in it, a bad payload', async () => {
    const { url } = await startApp(moderationEnv);
    const ada = await connectAs(url, { sub: 'ada' });
    const elsewhere = await connectAs(url, { sub: 'mod2', moderates: ['other'] });
    const admin = await connectAs(url, { sub: 'root', admin: true });
    const guest = await connectChat(url);
    await join(ada.socket, 'lobby');
    await join(guest.socket, 'lobby');
    const kick = (socket: ChatClient, payload: unknown) => acked(socket).emitWithAck('room:kick', payload as never);
    const cases: [ChatClient, unknown, string][] = [
      [ada.socket, { room: 'lobby', user: guest.user.id }, 'forbidden'],
      [elsewhere.socket, { room: 'lobby', user: 'ada' }, 'forbidden'],
      [admin.socket, { room: 'lobby', user: 'nobody' }, 'not_found'],
      [admin.socket, { room: 'empty', user: 'ada' }, 'not_found'],
      [admin.socket, { room: 'lobby', user: '' }, 'bad_request'],
      [admin.socket, { room: 'lobby', user: 'a\u0001' }, 'bad_request'],
      [admin.socket, { room: 'lobby', user: 'x'.repeat(129) }, 'bad_request'],
      [admin.socket, { room: 'lobby', user: 7 }, 'bad_request'],
      [admin.socket, { user: 'ada' }, 'bad_request'],
      [admin.socket, { room: 'lobby', user: 'ada', reason: 'x'.repeat(501) }, 'bad_request'],
    ];
    for (const [socket, payload, code] of cases) {
      const res = await kick(socket, payload);
      assert.equal(res.ok ? 'ok' : res.error.code, code, JSON.stringify(payload));
    }
    const guestKicked = waitFor<RoomRemovedEvent>(guest.socket, 'room:removed');
    assert.deepEqual(await kick(admin.socket, { room: 'lobby', user: guest.user.id }), { ok: true }, 'a guest id is a user');
    assert.deepEqual(await guestKicked, { room: 'lobby', reason: 'kicked' });
  });

  test('over HTTP: the API key or a moderator token, checked before the body', async () => {
    const { url } = await startApp(moderationEnv);
    const ada = await connectAs(url, { sub: 'ada' });
    await join(ada.socket, 'lobby');
    const removed = waitFor<RoomRemovedEvent>(ada.socket, 'room:removed');
    const res = await api(url, 'POST', '/api/rooms/lobby/kick', apiKey, { user: 'ada', reason: 'spam' });
    assert.deepEqual([res.status, res.body], [200, { ok: true }]);
    assert.deepEqual(await removed, { room: 'lobby', reason: 'kicked', message: 'spam' });
    const modToken = await token({ sub: 'mod', moderates: ['lobby'] });
    await join(ada.socket, 'lobby');
    assert.equal((await api(url, 'POST', '/api/rooms/lobby/kick', modToken, { user: 'ada' })).status, 200);
    const refusals: [string, unknown, number, string][] = [
      ['', { user: 'ada' }, 401, 'unauthorized'],
      ['', '{"user":', 401, 'unauthorized'],
      [await token({ sub: 'ada' }), { user: 'ada' }, 403, 'forbidden'],
      [await token({ sub: 'm', moderates: ['other'] }), { user: 'ada' }, 403, 'forbidden'],
      [apiKey, { user: 'ada' }, 404, 'not_found'],
      [apiKey, { user: '' }, 400, 'bad_request'],
      [apiKey, {}, 400, 'bad_request'],
      [apiKey, '{"user":', 400, 'bad_request'],
    ];
    for (const [credentials, body, status, code] of refusals) {
      const answer = await api(url, 'POST', '/api/rooms/lobby/kick', credentials, body);
      assert.deepEqual([answer.status, answer.body.error?.code], [status, code], JSON.stringify(body));
    }
    assert.equal((await api(url, 'POST', '/api/rooms/bad%20room/kick', apiKey, { user: 'ada' })).status, 400);
  });
});
