import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RoomRemovedEvent } from '../src/moderation/schemas.js';
import { acked, type ChatClient, waitFor } from './helpers.js';
import { api, apiKey, connectAs, moderationCluster } from './moderation-helpers.js';

async function join(socket: ChatClient, room: string) {
  const res = await acked(socket).emitWithAck('room:join', { room });
  assert.ok(res.ok, JSON.stringify(res));
  return res;
}

describe('moderation across two nodes (PostgreSQL and Redis)', () => {
  test("a kick on node A removes the user's sockets on node B at once; a deletion reaches B's clients", async (t) => {
    const nodes = await moderationCluster(t);
    if (!nodes) return;
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const mod = await connectAs(a.url, { sub: 'mod', moderates: ['lobby'] });
    const onA = await connectAs(a.url, { sub: 'troll' });
    const onB = await connectAs(b.url, { sub: 'troll' });
    for (const socket of [mod.socket, onA.socket, onB.socket]) await join(socket, 'lobby');
    const removed = [onA, onB].map((tab) => waitFor<RoomRemovedEvent>(tab.socket, 'room:removed'));
    assert.deepEqual(await acked(mod.socket).emitWithAck('room:kick', { room: 'lobby', user: 'troll', reason: 'spam' }), { ok: true });
    for (const event of await Promise.all(removed)) assert.deepEqual(event, { room: 'lobby', reason: 'kicked', message: 'spam' });
    const refused = await acked(onB.socket).emitWithAck('message:send', { room: 'lobby', text: 'x', clientId: 'x1' });
    assert.equal(refused.ok ? 'ok' : refused.error.code, 'forbidden', 'the socket on B is out of the room');

    await join(onB.socket, 'lobby');
    const sent = await acked(onB.socket).emitWithAck('message:send', { room: 'lobby', text: 'sorry', clientId: 'x2' });
    assert.ok(sent.ok);
    const entry = waitFor<{ type?: string; target?: number }>(onB.socket, 'message:new');
    const byHttp = await api(b.url, 'DELETE', `/api/rooms/lobby/messages/${sent.message.seq}`, apiKey);
    assert.equal(byHttp.status, 200);
    assert.deepEqual(await entry, byHttp.body.message);
    const history = await acked(mod.socket).emitWithAck('message:history', { room: 'lobby' });
    assert.ok(history.ok);
    assert.deepEqual(
      history.messages.map((m) => [m.seq, m.deleted ?? false, m.type ?? 'message']),
      [
        [1, true, 'message'],
        [2, false, 'delete'],
      ],
    );
  });

  test('settings made on one node hold on the other at once; slow mode is counted across nodes', async (t) => {
    const nodes = await moderationCluster(t);
    if (!nodes) return;
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const mod = await connectAs(a.url, { sub: 'mod', moderates: ['lobby'] });
    const onA = await connectAs(a.url, { sub: 'ada' });
    const onB = await connectAs(b.url, { sub: 'ada' });
    for (const socket of [mod.socket, onA.socket, onB.socket]) await join(socket, 'lobby');
    const send = async (socket: ChatClient, clientId: string) => {
      const res = await acked(socket).emitWithAck('message:send', { room: 'lobby', text: clientId, clientId });
      return res.ok ? 'ok' : res.error.code;
    };
    // B reads the settings (and keeps them) before they change on A.
    assert.equal(await send(onB.socket, 'b1'), 'ok');
    assert.ok((await acked(mod.socket).emitWithAck('room:configure', { room: 'lobby', readOnly: true })).ok);
    assert.equal(await send(onB.socket, 'b2'), 'forbidden', 'B knew of the change at once');
    assert.ok((await acked(mod.socket).emitWithAck('room:configure', { room: 'lobby', readOnly: false, slowModeSeconds: 60 })).ok);
    assert.equal(await send(onA.socket, 'a1'), 'ok');
    assert.equal(await send(onB.socket, 'b3'), 'rate_limited', 'the same user on the other node waits too');
  });

  test('a ban made on node A removes the user on node B at once and refuses their join there with until', async (t) => {
    const nodes = await moderationCluster(t);
    if (!nodes) return;
    const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
    const onB = await connectAs(b.url, { sub: 'troll' });
    await join(onB.socket, 'lobby');
    const until = Date.now() + 600_000;
    const removed = waitFor<RoomRemovedEvent>(onB.socket, 'room:removed');
    const made = await api<{ ban: { id: string } }>(a.url, 'POST', '/api/bans', apiKey, { user: 'troll', room: 'lobby', until });
    assert.equal(made.status, 201);
    assert.deepEqual(await removed, { room: 'lobby', reason: 'banned', until });
    const refused = await acked(onB.socket).emitWithAck('room:join', { room: 'lobby' });
    assert.deepEqual(refused.ok ? 'joined' : [refused.error.code, refused.error.until], ['forbidden', until]);
    const lifted = await api(b.url, 'DELETE', `/api/bans/${made.body.ban.id}`, apiKey);
    assert.equal(lifted.status, 200, 'B lifts a ban made on A');
    await join(onB.socket, 'lobby');
  });
});
