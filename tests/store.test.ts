import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Member } from '../src/protocol.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import { tempDir } from './helpers.js';

const ana: Member = { id: 'u1', name: 'Ana', kind: 'user' };
const bo: Member = { id: 'u2', name: 'Bo', kind: 'guest' };

describe('SQLite store', () => {
  test('seq is gap-free per room, also under concurrent appends', async () => {
    const store = openSqliteStore(join(tempDir(), 'db.sqlite'));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.append({ room: i % 2 ? 'odd' : 'even', text: `m${i}`, author: ana })),
    );
    for (const room of ['odd', 'even']) {
      const seqs = results.filter((r) => r.message.room === room).map((r) => r.message.seq);
      assert.deepEqual(
        seqs.sort((a, b) => a - b),
        Array.from({ length: 25 }, (_, i) => i + 1),
      );
    }
    assert.deepEqual(await store.lastSeqs(['odd', 'even', 'none']), new Map([['odd', 25], ['even', 25], ['none', 0]]));
    await store.close();
  });

  test('idempotent on (room, author, clientId)', async () => {
    const store = openSqliteStore(join(tempDir(), 'db.sqlite'));
    const first = await store.append({ room: 'r', text: 'hi', author: ana, clientId: 'c1' });
    const again = await store.append({ room: 'r', text: 'hi again', author: ana, clientId: 'c1' });
    assert.equal(first.created, true);
    assert.equal(again.created, false);
    assert.deepEqual(again.message, first.message);
    const otherAuthor = await store.append({ room: 'r', text: 'hi', author: bo, clientId: 'c1' });
    const otherRoom = await store.append({ room: 'r2', text: 'hi', author: ana, clientId: 'c1' });
    assert.equal(otherAuthor.created && otherRoom.created, true);
    const noClientId = await store.append({ room: 'r', text: 'x', author: ana });
    assert.equal(noClientId.message.clientId, undefined);
    assert.equal(noClientId.message.seq, 3);
    await store.close();
  });

  test('pages by seq both ways and keeps everything across a reopen', async () => {
    const path = join(tempDir(), 'db.sqlite');
    const store = openSqliteStore(path);
    for (let i = 1; i <= 10; i++) await store.append({ room: 'r', text: `m${i}`, author: ana, clientId: `c${i}` });
    await store.close();

    const reopened = openSqliteStore(path);
    const seqs = async (q: Parameters<typeof reopened.history>[1]) => {
      const page = await reopened.history('r', q);
      return [page.messages.map((m) => m.seq), page.hasMore];
    };
    assert.deepEqual(await seqs({ limit: 3 }), [[8, 9, 10], true]);
    assert.deepEqual(await seqs({ limit: 10 }), [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], false]);
    assert.deepEqual(await seqs({ before: 4, limit: 5 }), [[1, 2, 3], false]);
    assert.deepEqual(await seqs({ after: 7, limit: 5 }), [[8, 9, 10], false]);
    assert.deepEqual(await seqs({ after: 2, limit: 2 }), [[3, 4], true]);
    assert.deepEqual(await seqs({ after: 2, before: 6, limit: 50 }), [[3, 4, 5], false]);
    assert.deepEqual(await seqs({ after: 10, limit: 5 }), [[], false]);
    const message = (await reopened.history('r', { after: 0, limit: 1 })).messages[0];
    assert.deepEqual(message, { id: 'r:1', seq: 1, room: 'r', text: 'm1', author: ana, clientId: 'c1', ts: message?.ts });
    assert.equal((await reopened.append({ room: 'r', text: 'm11', author: ana })).message.seq, 11);
    assert.equal(await reopened.secret('s'), await reopened.secret('s'));
    await reopened.close();
  });

  test('a closed store answers unavailable', async () => {
    const store = openSqliteStore(join(tempDir(), 'db.sqlite'));
    await store.close();
    await assert.rejects(store.append({ room: 'r', text: 'x', author: ana }), { code: 'unavailable' });
    await assert.rejects(store.check(), { code: 'unavailable' });
  });
});
