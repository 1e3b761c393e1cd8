import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { pino } from 'pino';
import type { Member, RecentRoom, RoomSummary } from '../src/protocol.js';
import { openPostgresStore } from '../src/store/postgres.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import type { Store } from '../src/store/store.js';
import { acked, connectChat, createTestDatabase, startApp, tempDir } from './helpers.js';

const ana: Member = { id: 'u1', name: 'Ana', kind: 'user' };
const log = pino({ level: 'silent' });

const backends: { name: string; open(): Promise<Store | undefined> }[] = [
  { name: 'SQLite', open: async () => openSqliteStore({ path: join(tempDir(), 'db.sqlite'), log }) },
  {
    name: 'PostgreSQL',
    open: async () => {
      const url = await createTestDatabase();
      return url ? openPostgresStore({ url, log }) : undefined;
    },
  },
];

for (const backend of backends)
  describe(`${backend.name}: recentRooms`, () => {
    test('the public rooms with history, most recently active first, each with its newest seq and time; never private-* rooms', async (t: TestContext) => {
      const store = await backend.open();
      if (!store) return t.skip(`no ${backend.name}`);
      t.after(() => store.close());
      assert.deepEqual(await store.recentRooms(10), [], 'no history, no rooms');
      const at = 1_700_000_000_000;
      // old: 3 messages long ago; new: 1 message just now; middle: its last entry (a deletion) in between.
      for (let i = 0; i < 3; i++) await store.append({ room: 'old', text: `o${i}`, author: ana, ts: at + i });
      await store.append({ room: 'middle', text: 'm', author: ana, ts: at + 10 });
      await store.change({ type: 'delete', room: 'middle', seq: 1, author: ana, ts: at + 20 });
      await store.append({ room: 'new', text: 'n', author: ana, ts: at + 30 });
      await store.append({ room: 'private-ops', text: 'secret', author: ana, ts: at + 40 });
      await store.append({ room: 'Private-ok', text: 'public, capital P', author: ana, ts: at + 5 });
      assert.deepEqual(await store.recentRooms(10), [
        { room: 'new', lastSeq: 1, lastActivity: at + 30 },
        { room: 'middle', lastSeq: 2, lastActivity: at + 20 },
        { room: 'Private-ok', lastSeq: 1, lastActivity: at + 5 },
        { room: 'old', lastSeq: 3, lastActivity: at + 2 },
      ]);
      assert.deepEqual(
        (await store.recentRooms(2)).map((r) => r.room),
        ['new', 'middle'],
        'limited to the newest',
      );
    });
  });

describe('GET /api/rooms', () => {
  test('recent lists the rooms with history after everyone left, newest first, not private ones; rooms still lists only rooms with someone in them', async (t) => {
    const app = await startApp({ JWT_SECRET: 'recent-rooms-secret-0123456789abcdef' });
    t.after(() => app.close());
    const { socket } = await connectChat(app.url, { name: 'Ann' });
    for (const room of ['first', 'second', 'empty']) assert.ok((await acked(socket).emitWithAck('room:join', { room })).ok);
    for (const room of ['first', 'second']) {
      const sent = await acked(socket).emitWithAck('message:send', { room, text: `hello ${room}`, clientId: crypto.randomUUID() });
      assert.ok(sent.ok);
    }
    socket.disconnect();
    const list = async () => (await (await fetch(`${app.url}/api/rooms`)).json()) as { rooms: RoomSummary[]; recent: RecentRoom[] };
    // The leave is processed after the disconnect: wait until nobody is counted.
    let body = await list();
    for (const deadline = Date.now() + 5_000; body.rooms.length > 0 && Date.now() < deadline; body = await list()) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(body.rooms, []);
    assert.deepEqual(body.recent.map((r) => r.room).sort(), ['first', 'second'], 'the rooms with history, not the empty one');
    const [newer, older] = body.recent;
    assert.ok(newer && older && newer.lastActivity >= older.lastActivity, 'the most recently active first');
    assert.ok(body.recent.every((r) => r.lastSeq === 1 && Math.abs(Date.now() - r.lastActivity) < 60_000));
  });
});
