import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Member, Message, PresenceEvent, TypingEvent } from '../src/protocol.js';
import { presenceWindowMs } from '../src/realtime/presence-updates.js';
import { acked, collect, connectChat, nextMessages, presenceLog, startApp, waitFor } from './helpers.js';

async function send(socket: Awaited<ReturnType<typeof connectChat>>['socket'], room: string, text: string, clientId = randomUUID()) {
  const ack = await acked(socket).emitWithAck('message:send', { room, text, clientId });
  assert.equal(ack.ok, true, JSON.stringify(ack));
  return (ack as { message: Message }).message;
}

describe('chat', () => {
  test('two clients in one room see each other in the same seq order', async () => {
    const { url } = await startApp();
    const a = await connectChat(url, { name: 'Ana' });
    const b = await connectChat(url, { name: 'Bo' });
    await acked(a.socket).emitWithAck('room:join', { room: 'lobby' });
    await acked(b.socket).emitWithAck('room:join', { room: 'lobby' });
    const seenByA = nextMessages(a.socket, 20);
    const seenByB = nextMessages(b.socket, 20);
    await Promise.all(Array.from({ length: 10 }, (_, i) => [send(a.socket, 'lobby', `a${i}`), send(b.socket, 'lobby', `b${i}`)]).flat());
    const [fromA, fromB] = await Promise.all([seenByA, seenByB]);
    assert.deepEqual(
      fromA.map((m) => m.seq),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.deepEqual(fromB, fromA);
    const ana = fromA.find((m) => m.text === 'a0');
    assert.deepEqual(ana?.author, a.user);
    assert.equal(ana?.id, `lobby:${ana?.seq}`);
  });

  test('join returns recent history, members and lastSeq; after= returns exactly what was missed', async () => {
    const { url } = await startApp({ HISTORY_LIMIT: '3' });
    const a = await connectChat(url, { name: 'Ana' });
    const first = await acked(a.socket).emitWithAck('room:join', { room: 'r1' });
    assert.ok(first.ok);
    assert.deepEqual(first, {
      ok: true,
      room: 'r1',
      messages: [],
      members: [a.user],
      lastSeq: 0,
      hasMore: false,
      epoch: first.epoch,
      settings: { slowModeSeconds: 0, readOnly: false },
      editWindowSeconds: 900,
      maxMessageLength: 2000,
      lastRead: 0,
      reads: {},
    });
    for (let i = 1; i <= 5; i++) await send(a.socket, 'r1', `m${i}`);

    const b = await connectChat(url, { name: 'Bo' });
    const join = await acked(b.socket).emitWithAck('room:join', { room: 'r1' });
    assert.ok(join.ok);
    assert.deepEqual(
      join.messages.map((m) => m.text),
      ['m3', 'm4', 'm5'],
    );
    assert.equal(join.lastSeq, 5);
    assert.equal(join.hasMore, true);
    assert.deepEqual(join.members.map((m) => m.name).sort(), ['Ana', 'Bo']);

    const c = await connectChat(url);
    const resumed = await acked(c.socket).emitWithAck('room:join', { room: 'r1', after: 2, limit: 2 });
    assert.ok(resumed.ok);
    assert.deepEqual(
      resumed.messages.map((m) => m.seq),
      [3, 4],
    );
    assert.equal(resumed.hasMore, true);
  });

  test('history pages both ways by seq', async () => {
    const { url } = await startApp();
    const a = await connectChat(url);
    await acked(a.socket).emitWithAck('room:join', { room: 'pages' });
    for (let i = 1; i <= 7; i++) await send(a.socket, 'pages', `m${i}`);
    const older = await acked(a.socket).emitWithAck('message:history', { room: 'pages', before: 6, limit: 3 });
    assert.ok(older.ok);
    assert.deepEqual(
      older.messages.map((m) => m.seq),
      [3, 4, 5],
    );
    assert.equal(older.hasMore, true);
    const oldest = await acked(a.socket).emitWithAck('message:history', { room: 'pages', before: 3, limit: 3 });
    assert.ok(oldest.ok);
    assert.deepEqual(
      oldest.messages.map((m) => m.seq),
      [1, 2],
    );
    assert.equal(oldest.hasMore, false);
    const newer = await acked(a.socket).emitWithAck('message:history', { room: 'pages', after: 5 });
    assert.ok(newer.ok);
    assert.deepEqual(
      newer.messages.map((m) => m.seq),
      [6, 7],
    );
    assert.equal(newer.hasMore, false);
    const between = await acked(a.socket).emitWithAck('message:history', { room: 'pages', after: 2, before: 5 });
    assert.ok(between.ok);
    assert.deepEqual(
      between.messages.map((m) => m.seq),
      [3, 4],
    );
  });

  test('a resend with the same clientId gives one message and one broadcast', async () => {
    const { url } = await startApp();
    const a = await connectChat(url);
    const b = await connectChat(url);
    await acked(a.socket).emitWithAck('room:join', { room: 'idem' });
    await acked(b.socket).emitWithAck('room:join', { room: 'idem' });
    const seenByB = collect<Message>(b.socket, 'message:new');
    const clientId = randomUUID();
    const first = await send(a.socket, 'idem', 'hello', clientId);
    const again = await send(a.socket, 'idem', 'hello', clientId);
    assert.deepEqual(again, first);
    // A later, different message proves the broadcast channel is flowing: once it arrives, any
    // duplicate of the first would have arrived before it.
    const next = waitFor<Message>(b.socket, 'message:new');
    await send(a.socket, 'idem', 'after');
    await next;
    assert.deepEqual(
      seenByB.map((m) => [m.seq, m.text]),
      [
        [1, 'hello'],
        [2, 'after'],
      ],
    );
    // Another user may use the same clientId: idempotency is per author.
    const other = await send(b.socket, 'idem', 'mine', clientId);
    assert.equal(other.seq, 3);
  });

  test('messages survive a server restart on the same SQLite file', async () => {
    const first = await startApp();
    const a = await connectChat(first.url);
    await acked(a.socket).emitWithAck('room:join', { room: 'durable' });
    await send(a.socket, 'durable', 'before restart');
    await send(a.socket, 'durable', 'second');
    a.socket.disconnect();
    await first.close();

    const second = await startApp({ DATABASE_PATH: first.databasePath });
    const b = await connectChat(second.url);
    const join = await acked(b.socket).emitWithAck('room:join', { room: 'durable' });
    assert.ok(join.ok);
    assert.deepEqual(
      join.messages.map((m) => [m.seq, m.text]),
      [
        [1, 'before restart'],
        [2, 'second'],
      ],
    );
    assert.equal((await send(b.socket, 'durable', 'third')).seq, 3);
  });

  test('presence counts users, not tabs, and reports joins and leaves once', async () => {
    const { url } = await startApp();
    const watcher = await connectChat(url, { name: 'Watcher' });
    await acked(watcher.socket).emitWithAck('room:join', { room: 'p' });
    const seen = presenceLog(watcher.socket);

    const tab1 = await connectChat(url, { name: 'Tabby' });
    const tab2 = await connectChat(url, { name: 'Tabby', session: tab1.session });
    assert.equal(tab2.user.id, tab1.user.id);
    await acked(tab1.socket).emitWithAck('room:join', { room: 'p' });
    const join2 = await acked(tab2.socket).emitWithAck('room:join', { room: 'p' });
    assert.ok(join2.ok);
    assert.equal(join2.members.length, 2);
    // Seen in before leaving: a join and a leave gathered in one window cancel out (net changes).
    await seen.until((log) => log.count === 2);

    await acked(tab1.socket).emitWithAck('room:leave', { room: 'p' });
    tab2.socket.disconnect();
    await seen.until((log) => log.leaves.length > 0);
    assert.deepEqual(seen.joins, [tab1.user]);
    assert.deepEqual(seen.leaves, [tab1.user]);
    assert.equal(seen.count, 1);
  });

  test('presence updates are gathered per room: a burst of joins is one event, a lone change the v1 shape', async () => {
    const { url } = await startApp();
    const watcher = await connectChat(url, { name: 'Watcher' });
    await acked(watcher.socket).emitWithAck('room:join', { room: 'burst' });
    const seen = presenceLog(watcher.socket);
    const joined: Member[] = [];
    const guests = await Promise.all(Array.from({ length: 6 }, (_, i) => connectChat(url, { name: `G${i}` })));
    for (const g of guests) {
      assert.ok((await acked(g.socket).emitWithAck('room:join', { room: 'burst' })).ok);
      joined.push(g.user);
    }
    await seen.until((log) => log.count === 7);
    assert.ok(seen.events.length < guests.length, `${seen.events.length} events for ${guests.length} joins`);
    assert.deepEqual(seen.joins, joined, 'every join once, in order');
    assert.deepEqual(seen.leaves, []);
    for (const event of seen.events.filter((e) => e.joins)) assert.deepEqual(event.leaves, []);

    // Once the room has been quiet for a window, a single change goes out at once, in the v1
    // shape. (Waiting out the window is what is tested here, not a way to synchronise.)
    await new Promise((resolve) => setTimeout(resolve, presenceWindowMs * 2));
    const lone = waitFor<PresenceEvent>(watcher.socket, 'presence:update');
    const started = Date.now();
    guests[0]?.socket.disconnect();
    assert.deepEqual(await lone, { room: 'burst', left: guests[0]?.user, count: 6 });
    assert.ok(Date.now() - started < presenceWindowMs, 'a lone change waited for the window');
  });

  test('typing reaches the others, not the sender, and expires after 5 s', async () => {
    const { url } = await startApp();
    const a = await connectChat(url, { name: 'Ana' });
    const b = await connectChat(url, { name: 'Bo' });
    await acked(a.socket).emitWithAck('room:join', { room: 't' });
    await acked(b.socket).emitWithAck('room:join', { room: 't' });
    const seenByA = collect<TypingEvent>(a.socket, 'typing:update');
    const started = Date.now();
    const on = waitFor<TypingEvent>(b.socket, 'typing:update');
    a.socket.emit('typing:update', { room: 't', typing: true });
    assert.deepEqual(await on, { room: 't', user: a.user, typing: true });
    const off = await waitFor<TypingEvent>(b.socket, 'typing:update', 8000);
    assert.deepEqual(off, { room: 't', user: a.user, typing: false });
    assert.ok(Date.now() - started >= 4500, 'expired too early');
    assert.deepEqual(seenByA, []);
  });

  test('sending clears the sender typing flag', async () => {
    const { url } = await startApp();
    const a = await connectChat(url);
    const b = await connectChat(url);
    await acked(a.socket).emitWithAck('room:join', { room: 't2' });
    await acked(b.socket).emitWithAck('room:join', { room: 't2' });
    const on = waitFor<TypingEvent>(b.socket, 'typing:update');
    a.socket.emit('typing:update', { room: 't2', typing: true });
    await on;
    const off = waitFor<TypingEvent>(b.socket, 'typing:update', 1000);
    await send(a.socket, 't2', 'done typing');
    assert.equal((await off).typing, false);
  });

  test('rooms are isolated', async () => {
    const { url } = await startApp();
    const a = await connectChat(url);
    const b = await connectChat(url);
    await acked(a.socket).emitWithAck('room:join', { room: 'one' });
    await acked(b.socket).emitWithAck('room:join', { room: 'two' });
    const seenByB = collect<Message>(b.socket, 'message:new');
    await send(a.socket, 'one', 'only for one');
    const own = waitFor<Message>(b.socket, 'message:new');
    await send(b.socket, 'two', 'only for two');
    await own;
    assert.deepEqual(
      seenByB.map((m) => m.room),
      ['two'],
    );
  });
});
