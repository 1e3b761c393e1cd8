import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChatConnection } from '../web-components/chat-connection.js';
import { acked, controllerHost as host, memoryStorage, startApp } from './helpers.js';
import { connectAs, moderationEnv, token as tokenFor } from './moderation-helpers.js';

/** A moderator of every room, joined to `room`. */
async function moderator(url: string, room: string) {
  const mod = await connectAs(url, { sub: 'mod', moderates: ['*'] });
  const joined = await acked(mod.socket).emitWithAck('room:join', { room });
  assert.ok(joined.ok);
  return mod.socket;
}

describe('our client applies moderation (ChatConnection against the real server)', () => {
  test('a delete entry shows its target deleted, live and after a resync, and is not shown itself', async () => {
    const { url } = await startApp(moderationEnv);
    const h = host();
    const conn = new ChatConnection(h, { url, room: 'lobby', name: 'Bo', storage: memoryStorage() });
    await conn.connect();
    const one = await conn.send('one');
    const two = await conn.send('two');
    const mod = await moderator(url, 'lobby');
    const live = await acked(mod).emitWithAck('message:delete', { room: 'lobby', seq: one.seq });
    assert.ok(live.ok);
    await h.changed(() => conn.messages[0]?.deleted === true);
    assert.deepEqual(
      conn.messages.map((m) => [m.seq, m.text, m.deleted ?? false]),
      [
        [1, '', true],
        [2, 'two', false],
      ],
      'the entry is applied, not listed',
    );
    assert.equal(conn.lastSeq, live.message.seq, 'the cursor moved past the entry');

    conn.close();
    const offline = await acked(mod).emitWithAck('message:delete', { room: 'lobby', seq: two.seq });
    assert.ok(offline.ok);
    await conn.connect();
    await h.changed(() => conn.messages[1]?.deleted === true);
    assert.equal(conn.messages.length, 2);
    assert.equal(conn.lastSeq, offline.message.seq);
    conn.close();

    const reloaded = new ChatConnection(host(), { url, room: 'lobby', name: 'Cy', storage: memoryStorage() });
    await reloaded.connect();
    assert.deepEqual(
      reloaded.messages.map((m) => [m.seq, m.deleted ?? false]),
      [
        [1, true],
        [2, true],
      ],
    );
    reloaded.close();
  });

  test('a kicked user sees why, stops resyncing the room, and may join again', async () => {
    const { url } = await startApp(moderationEnv);
    const h = host();
    const conn = new ChatConnection(h, { url, room: 'lobby', name: 'Bo', storage: memoryStorage() });
    await conn.connect();
    const mod = await moderator(url, 'lobby');
    const kicked = await acked(mod).emitWithAck('room:kick', { room: 'lobby', user: conn.user?.id ?? '', reason: 'Be nice' });
    assert.ok(kicked.ok, JSON.stringify(kicked));
    await h.changed(() => conn.status === 'failed');
    assert.deepEqual(conn.removed, { room: 'lobby', reason: 'kicked', message: 'Be nice' });
    assert.equal(conn.error?.message, 'You were removed from this room by a moderator: Be nice');
    const sent = await acked(mod).emitWithAck('message:send', { room: 'lobby', text: 'after the kick', clientId: 'k1' });
    assert.ok(sent.ok);
    assert.equal(conn.messages.length, 0, 'nothing arrives for the room after the kick');

    await conn.rejoin();
    assert.equal(conn.status, 'connected');
    assert.equal(conn.removed, undefined);
    assert.deepEqual(
      conn.messages.map((m) => m.text),
      ['after the kick'],
    );
    conn.close();
  });

  test('the room settings: read-only for users, not moderators; slow mode says when the user may send again', async () => {
    const { url } = await startApp(moderationEnv);
    const mod = await moderator(url, 'lobby');
    assert.ok((await acked(mod).emitWithAck('message:send', { room: 'lobby', text: 'rules', clientId: 'r1' })).ok);
    const h = host();
    const conn = new ChatConnection(h, { url, room: 'lobby', name: 'Bo', storage: memoryStorage() });
    await conn.connect();
    assert.equal(conn.readOnly, false);
    assert.ok((await acked(mod).emitWithAck('room:configure', { room: 'lobby', readOnly: true })).ok);
    await h.changed(() => conn.readOnly);
    const token = await tokenFor({ sub: 'mod2', moderates: ['lobby'] });
    const modConn = new ChatConnection(host(), { url, room: 'lobby', token, storage: memoryStorage() });
    await modConn.connect();
    assert.deepEqual([modConn.settings.readOnly, modConn.moderator, modConn.readOnly], [true, true, false]);
    modConn.close();

    assert.ok((await acked(mod).emitWithAck('room:configure', { room: 'lobby', readOnly: false, slowModeSeconds: 30 })).ok);
    await h.changed(() => conn.settings.slowModeSeconds === 30);
    assert.equal(conn.nextSendAt, 0);
    await conn.send('first');
    const wait = conn.nextSendAt - Date.now();
    assert.ok(wait > 25_000 && wait <= 30_000, `next send in ${wait} ms`);
    conn.close();
  });

  test('an entry of a type it does not know is skipped: not listed, and the cursor moves past it', async () => {
    const app = await startApp(moderationEnv);
    const h = host();
    const conn = new ChatConnection(h, { url: app.url, room: 'lobby', name: 'Bo', storage: memoryStorage() });
    await conn.connect();
    await conn.send('one');
    // What a newer server might send: a change entry of a type this client was not written for.
    const pin = { id: 'lobby:2', seq: 2, room: 'lobby', type: 'pin', target: 1, text: '', author: conn.user, ts: Date.now() };
    const next = { id: 'lobby:3', seq: 3, room: 'lobby', text: 'three', author: conn.user, ts: Date.now() };
    for (const entry of [pin, next]) app.io.of('/chat').to('lobby').emit('message:new', entry);
    await h.changed(() => conn.messages.length === 2);
    assert.deepEqual(
      conn.messages.map((m) => [m.seq, m.text, m.deleted ?? false]),
      [
        [1, 'one', false],
        [3, 'three', false],
      ],
      'the pin is not listed and changes nothing; what follows it is delivered',
    );
    assert.equal(conn.lastSeq, 3);
    conn.close();
  });
});
