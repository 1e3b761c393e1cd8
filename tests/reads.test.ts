import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import type { ErrorCode, ReadEvent } from '../src/protocol.js';
import { openPostgresStore } from '../src/store/postgres.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import type { Store } from '../src/store/store.js';
import { join } from 'node:path';
import { pino } from 'pino';
import { ChatConnection } from '../web-components/chat-connection.js';
import {
  acked,
  type ChatClient,
  collect,
  controllerHost,
  createTestDatabase,
  memoryStorage,
  startApp,
  tempDir,
  waitFor,
} from './helpers.js';
import { connectAs, moderationCluster, moderationEnv, token } from './moderation-helpers.js';

const log = pino({ level: 'silent' });

async function joinRoom(socket: ChatClient, room: string, extra: { observe?: true } = {}) {
  const res = await acked(socket).emitWithAck('room:join', { room, ...extra });
  assert.ok(res.ok, JSON.stringify(res));
  return res;
}

async function say(socket: ChatClient, room: string, text: string): Promise<number> {
  const res = await acked(socket).emitWithAck('message:send', { room, text, clientId: randomUUID() });
  assert.ok(res.ok, JSON.stringify(res));
  return res.message.seq;
}

/** `room:read`'s answer: 'ok' or the error code. */
async function read(socket: ChatClient, payload: unknown): Promise<'ok' | ErrorCode> {
  // Any payload, as a client may send it; the typed socket would take only a good one.
  const loose = acked(socket) as unknown as {
    emitWithAck(event: string, payload: unknown): Promise<{ ok: boolean; error?: { code: ErrorCode } }>;
  };
  const res = await loose.emitWithAck('room:read', payload);
  return res.ok ? 'ok' : (res.error?.code ?? 'internal');
}

/** The next `room:read` the socket gets about `userId`. */
function nextRead(socket: ChatClient, userId: string, ms = 5000): Promise<ReadEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no room:read about ${userId} within ${ms} ms`)), ms);
    const listener = (event: ReadEvent) => {
      if (event.user.id !== userId) return;
      clearTimeout(timer);
      socket.off('room:read', listener);
      resolve(event);
    };
    socket.on('room:read', listener);
  });
}

async function storeReads(store: Store): Promise<void> {
  await store.append({ room: 'r', text: 'one', author: { id: 'a', name: 'A', kind: 'user' } });
  await store.append({ room: 'r', text: 'two', author: { id: 'a', name: 'A', kind: 'user' } });
  assert.equal(await store.markRead('r', 'ann', 1), 'moved');
  assert.equal(await store.markRead('r', 'ann', 1), 'kept', 'the same position again');
  assert.equal(await store.markRead('r', 'ann', 2), 'moved');
  assert.equal(await store.markRead('r', 'ann', 1), 'kept', 'a position never goes back');
  assert.equal(await store.markRead('r', 'ann', 3), 'beyond');
  assert.equal(await store.markRead('none', 'ann', 1), 'beyond', 'a room with no message');
  assert.equal(await store.markRead('r', 'ben', 1), 'moved');
  assert.deepEqual(
    await store.readPositions('r', ['ann', 'ben', 'cy']),
    new Map([
      ['ann', 2],
      ['ben', 1],
    ]),
  );
  assert.deepEqual(await store.readPositions('r', []), new Map());
  assert.deepEqual(await store.readPositions('none', ['ann']), new Map());
}

describe('read positions (protocol 6.3)', () => {
  test('both stores keep one position per user and room that never goes back', async (t) => {
    const sqlite = openSqliteStore({ path: join(tempDir(), 'reads.db'), log });
    await storeReads(sqlite);
    await sqlite.close();
    const url = await createTestDatabase();
    if (!url) return t.skip('needs PostgreSQL');
    const postgres = await openPostgresStore({ url, log });
    try {
      await storeReads(postgres);
    } finally {
      await postgres.close();
    }
  });

  test('room:read is stored, never goes back, and reaches the room and the join of every device of the user', async () => {
    const first = await startApp(moderationEnv);
    const laptop = await connectAs(first.url, { sub: 'ann', name: 'Ann' });
    const ben = await connectAs(first.url, { sub: 'ben', name: 'Ben' });
    const fresh = await joinRoom(laptop.socket, 'lobby');
    assert.equal(fresh.lastRead, 0, 'no position yet');
    assert.deepEqual(fresh.reads, {});
    await joinRoom(ben.socket, 'lobby');
    for (const text of ['one', 'two', 'three']) await say(ben.socket, 'lobby', text);

    const toBen = nextRead(ben.socket, 'ann');
    assert.equal(await read(laptop.socket, { room: 'lobby', seq: 2 }), 'ok');
    assert.deepEqual(await toBen, { room: 'lobby', user: { id: 'ann', name: 'Ann', kind: 'user' }, seq: 2 });

    // Ann's phone: her position, and Ben's (he has none: he wrote, he did not say he read).
    const phone = await connectAs(first.url, { sub: 'ann', name: 'Ann' });
    const onPhone = await joinRoom(phone.socket, 'lobby');
    assert.equal(onPhone.lastRead, 2);
    assert.deepEqual(onPhone.reads, {}, 'the user is not among the others, Ben has no position');
    assert.equal(await read(ben.socket, { room: 'lobby', seq: 3 }), 'ok');
    const again = await joinRoom(phone.socket, 'lobby');
    assert.deepEqual([again.lastRead, again.reads], [2, { ben: 3 }]);

    // Lower than stored: ok, and nothing changes nor is told.
    const seen: number[] = [];
    ben.socket.on('room:read', (e) => e.user.id === 'ann' && seen.push(e.seq));
    assert.equal(await read(phone.socket, { room: 'lobby', seq: 1 }), 'ok');
    assert.equal((await joinRoom(phone.socket, 'lobby')).lastRead, 2);
    // The phone reads on: the laptop (her other device) hears it, as the room does.
    const toLaptop = nextRead(laptop.socket, 'ann', 3000);
    const toRoom = nextRead(ben.socket, 'ann', 3000);
    assert.equal(await read(phone.socket, { room: 'lobby', seq: 3 }), 'ok');
    assert.equal((await toLaptop).seq, 3);
    await toRoom;
    assert.deepEqual(seen, [3], 'the read that went back was broadcast');

    // A restart on the same SQLite file keeps every position.
    for (const s of [laptop, ben, phone]) s.socket.disconnect();
    await first.close();
    const second = await startApp({ ...moderationEnv, DATABASE_PATH: first.databasePath });
    const benAgain = await connectAs(second.url, { sub: 'ben', name: 'Ben' });
    await joinRoom(benAgain.socket, 'lobby');
    const annAgain = await connectAs(second.url, { sub: 'ann', name: 'Ann' });
    const after = await joinRoom(annAgain.socket, 'lobby');
    assert.deepEqual([after.lastRead, after.reads], [3, { ben: 3 }]);
  });

  test('broadcasts are one a second per user and room: the first at once, the last of the second at its end', async () => {
    const { url } = await startApp(moderationEnv);
    const ann = await connectAs(url, { sub: 'ann', name: 'Ann' });
    const ben = await connectAs(url, { sub: 'ben', name: 'Ben' });
    for (const s of [ann, ben]) await joinRoom(s.socket, 'busy');
    for (let i = 0; i < 6; i++) await say(ben.socket, 'busy', `m${i}`);
    const seen: { seq: number; at: number }[] = [];
    ben.socket.on('room:read', (e) => e.user.id === 'ann' && seen.push({ seq: e.seq, at: Date.now() }));

    const last = nextReadAt(ben.socket, 'ann', 5);
    for (const seq of [1, 2, 3, 4, 5]) assert.equal(await read(ann.socket, { room: 'busy', seq }), 'ok');
    await last;
    assert.deepEqual(
      seen.map((e) => e.seq),
      [1, 5],
      'coalesced: the first, then the last',
    );
    const [a, b] = seen as unknown as [{ at: number }, { at: number }];
    assert.ok(b.at - a.at >= 800, `second broadcast ${b.at - a.at} ms after the first`);

    // Another user's reads are not held back by Ann's.
    const benRead = nextRead(ann.socket, 'ben', 500);
    assert.equal(await read(ben.socket, { room: 'busy', seq: 6 }), 'ok');
    assert.equal((await benRead).seq, 6);
  });

  test('bad reads are answered with codes and nothing is broadcast', async () => {
    const { url } = await startApp(moderationEnv);
    const ann = await connectAs(url, { sub: 'ann', name: 'Ann' });
    const ben = await connectAs(url, { sub: 'ben', name: 'Ben' });
    const mod = await connectAs(url, { sub: 'mod', name: 'Mo', moderates: ['calm'] });
    await joinRoom(ben.socket, 'calm');
    await say(ben.socket, 'calm', 'hello');
    const seen = collect<ReadEvent>(ben.socket, 'room:read');

    assert.equal(await read(ann.socket, { room: 'calm', seq: 1 }), 'forbidden', 'room not joined');
    await joinRoom(ann.socket, 'calm');
    assert.equal(await read(ann.socket, { room: 'calm', seq: 2 }), 'not_found', 'seq beyond the last');
    for (const payload of [
      { room: 'calm' },
      { room: 'calm', seq: 0 },
      { room: 'calm', seq: -1 },
      { room: 'calm', seq: 1.5 },
      { room: 'calm', seq: '1' },
      { room: 'calm', seq: 2 ** 60 },
      { room: 'bad name', seq: 1 },
      { seq: 1 },
      'calm',
      null,
    ]) {
      assert.equal(await read(ann.socket, payload), 'bad_request', JSON.stringify(payload));
    }
    // An observing moderator reads nothing into the room, and is in nobody's reads.
    const observed = await joinRoom(mod.socket, 'calm', { observe: true });
    assert.deepEqual(observed.reads, {});
    assert.equal(await read(mod.socket, { room: 'calm', seq: 1 }), 'forbidden');
    // Without an ack: request:failed to that socket alone.
    const failed = waitFor<{ event: string; error: { code: string } }>(ann.socket, 'request:failed');
    (ann.socket as unknown as { emit(event: string, payload: unknown): void }).emit('room:read', { room: 'calm', seq: 9 });
    assert.deepEqual([(await failed).event, (await failed).error.code], ['room:read', 'not_found']);

    // The first broadcast Ben hears is the first good read.
    const good = nextRead(ben.socket, 'ann');
    assert.equal(await read(ann.socket, { room: 'calm', seq: 1 }), 'ok');
    await good;
    assert.deepEqual(
      seen.map((e) => [e.user.id, e.seq]),
      [['ann', 1]],
    );
    const benJoin = await joinRoom(ben.socket, 'calm');
    assert.deepEqual(benJoin.reads, { ann: 1 }, 'the observer has no position');
  });

  test('ChatConnection: a room whose numbering restarts (a new database) counts its new messages as unread again', async () => {
    const first = await startApp(moderationEnv);
    const { port } = first.app.server.address() as AddressInfo;
    const host = controllerHost();
    const conn = new ChatConnection(host, {
      url: first.url,
      room: 'reborn',
      token: await token({ sub: 'ann', name: 'Ann' }),
      storage: memoryStorage(),
    });
    await conn.connect();
    const ben = await connectAs(first.url, { sub: 'ben', name: 'Ben' });
    await joinRoom(ben.socket, 'reborn');
    for (const text of ['one', 'two', 'three', 'four']) await say(ben.socket, 'reborn', text);
    await host.changed(() => conn.unread === 4);
    conn.markRead();
    assert.equal(conn.unread, 0);

    await first.close();
    await host.changed(() => conn.status === 'reconnecting');
    // A new database on the same port: another epoch, seqs from 1 again, below Ann's old position 4.
    const second = await startApp({ ...moderationEnv, PORT: String(port) });
    await host.changed(() => conn.connected, 15_000);
    const again = await connectAs(second.url, { sub: 'ben', name: 'Ben' });
    await joinRoom(again.socket, 'reborn');
    await say(again.socket, 'reborn', 'new one');
    await say(again.socket, 'reborn', 'new two');
    await host.changed(() => conn.unread === 2);
    conn.close();
  });

  test('ChatConnection: one unread count for two devices of a user, the divider of the entry, "Seen by" lines', async () => {
    const { url } = await startApp(moderationEnv);
    const device = async () => {
      const host = controllerHost();
      const conn = new ChatConnection(host, {
        url,
        room: 'pair',
        token: await token({ sub: 'ann', name: 'Ann' }),
        storage: memoryStorage(),
      });
      await conn.connect();
      return { host, conn };
    };
    const ben = await connectAs(url, { sub: 'ben', name: 'Ben' });
    await joinRoom(ben.socket, 'pair');
    await say(ben.socket, 'pair', 'before Ann came');
    const laptop = await device();
    const phone = await device();
    assert.deepEqual([laptop.conn.unread, phone.conn.unread], [0, 0], 'a first visit: what was there is not news');
    assert.equal(laptop.conn.reads.divider, undefined);

    const one = await say(ben.socket, 'pair', 'one');
    await say(ben.socket, 'pair', 'two');
    for (const { host, conn } of [laptop, phone]) await host.changed(() => conn.unread === 2);
    // Deleted, it no longer counts.
    assert.ok((await acked(ben.socket).emitWithAck('message:delete', { room: 'pair', seq: one })).ok);
    for (const { host, conn } of [laptop, phone]) await host.changed(() => conn.unread === 1);

    // Read on the laptop: the phone hears it from the server, and Ben sees who read what.
    const told = waitFor<ReadEvent>(ben.socket, 'room:read');
    laptop.conn.markRead();
    assert.equal(laptop.conn.unread, 0, 'at once where it was read');
    await phone.host.changed(() => phone.conn.unread === 0);
    assert.deepEqual(await told, { room: 'pair', user: { id: 'ann', name: 'Ann', kind: 'user' }, seq: laptop.conn.lastSeq });

    // Ann answers, Ben reads it and writes on; a third device of Ann's enters: the divider before
    // the first unread, and "Seen by Ben" under her answer.
    const answer = await laptop.conn.send('hi Ben');
    assert.equal(await read(ben.socket, { room: 'pair', seq: answer.seq }), 'ok');
    const three = await say(ben.socket, 'pair', 'three');
    await say(ben.socket, 'pair', 'four');
    const tablet = await device();
    assert.equal(tablet.conn.reads.divider, three);
    assert.equal(tablet.conn.unread, 2);
    tablet.conn.markRead();
    assert.equal(tablet.conn.reads.divider, three, 'reading does not move the divider');
    assert.deepEqual([...tablet.conn.reads.seen(tablet.conn.messages, 'ann')], [[answer.seq, 'Seen by Ben']]);
    // Ben reads on to his own newest: the line stays under Ann's answer, the newest not his own.
    assert.equal(await read(ben.socket, { room: 'pair', seq: tablet.conn.lastSeq }), 'ok');
    await tablet.host.changed(() => tablet.conn.reads.others.get('ben')?.seq === tablet.conn.lastSeq);
    assert.deepEqual([...tablet.conn.reads.seen(tablet.conn.messages, 'ann')], [[answer.seq, 'Seen by Ben']]);
    for (const d of [laptop, phone, tablet]) d.conn.close();
  });

  test('on PostgreSQL and two nodes: a read on one node reaches the room on the other, and a join there', async (t) => {
    const nodes = await moderationCluster(t);
    if (!nodes) return;
    const [a, b] = nodes as unknown as [{ url: string }, { url: string }];
    const laptop = await connectAs(a.url, { sub: 'ann', name: 'Ann' });
    const ben = await connectAs(b.url, { sub: 'ben', name: 'Ben' });
    await joinRoom(laptop.socket, 'shared');
    await joinRoom(ben.socket, 'shared');
    for (const text of ['one', 'two', 'three']) await say(ben.socket, 'shared', text);

    const toBen = nextRead(ben.socket, 'ann');
    assert.equal(await read(laptop.socket, { room: 'shared', seq: 2 }), 'ok');
    assert.equal((await toBen).seq, 2);
    const firstAt = Date.now();
    assert.equal(await read(laptop.socket, { room: 'shared', seq: 4 }), 'not_found');

    // Her phone on the other node: the same position; its read, coalesced across the nodes, reaches the laptop.
    const phone = await connectAs(b.url, { sub: 'ann', name: 'Ann' });
    const onPhone = await joinRoom(phone.socket, 'shared');
    assert.equal(onPhone.lastRead, 2);
    const toLaptop = nextRead(laptop.socket, 'ann');
    assert.equal(await read(phone.socket, { room: 'shared', seq: 3 }), 'ok');
    assert.equal((await toLaptop).seq, 3);
    assert.ok(Date.now() - firstAt >= 800, `one a second per user across the nodes: ${Date.now() - firstAt} ms`);
    const benJoin = await joinRoom(ben.socket, 'shared');
    assert.deepEqual(benJoin.reads, { ann: 3 });
    assert.equal(benJoin.lastRead, 0);
  });
});

/** Resolves once the socket gets a `room:read` about `userId` at `seq`. */
function nextReadAt(socket: ChatClient, userId: string, seq: number, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no room:read of ${userId} at ${seq} within ${ms} ms`)), ms);
    socket.on('room:read', (event) => {
      if (event.user.id !== userId || event.seq !== seq) return;
      clearTimeout(timer);
      resolve();
    });
  });
}
