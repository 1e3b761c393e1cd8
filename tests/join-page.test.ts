import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { createJoinPages } from '../src/realtime/join-page.js';
import { openPostgresStore } from '../src/store/postgres.js';
import { openSqliteStore } from '../src/store/sqlite.js';
import type { Store } from '../src/store/store.js';
import { createTestDatabase, tempDir } from './helpers.js';

const log = pino({ level: 'silent' });
const author = { id: 'a', name: 'A', kind: 'user' as const };

/** What a join answers, as [seqs, hasMore, lastSeq]. */
async function page(store: Store, room: string, from: number | undefined, limit: number) {
  const p = await createJoinPages(store)(room, from, limit);
  return [p.messages.map((m) => m.seq), p.hasMore, p.lastSeq];
}

/** Every case of a join's page, on a room with messages 1..5 and an empty room. */
async function checkJoinPages(store: Store) {
  for (let i = 1; i <= 5; i++) await store.append({ room: 'r', text: `m${i}`, author });
  assert.deepEqual(await page(store, 'empty', undefined, 3), [[], false, 0], 'first join, empty room');
  assert.deepEqual(await page(store, 'r', undefined, 3), [[3, 4, 5], true, 5], 'first join: the newest page');
  assert.deepEqual(await page(store, 'r', 0, 10), [[1, 2, 3, 4, 5], false, 5], 'after 0: everything');
  assert.deepEqual(await page(store, 'r', 0, 2), [[1, 2], true, 5], 'after 0, more than a page');
  assert.deepEqual(await page(store, 'r', 5, 3), [[], false, 5], 'resume, nothing missed');
  assert.deepEqual(await page(store, 'r', 3, 3), [[4, 5], false, 5], 'resume, some missed');
  assert.deepEqual(await page(store, 'r', 2, 3), [[3, 4, 5], false, 5], 'resume, exactly a page missed');
  assert.deepEqual(await page(store, 'r', 1, 3), [[2, 3, 4], true, 5], 'resume, more than a page missed');
  assert.deepEqual(await page(store, 'r', 9, 3), [[], false, 5], 'resume past the room: numbering restarted');
  assert.deepEqual(await page(store, 'empty', 4, 3), [[], false, 0], 'resume into a room that is empty now');

  // A storm of resumes: those within 10 ms share one query, and read history only where
  // something was missed.
  const calls = { history: 0, lastSeqs: 0 };
  const counted: Store = {
    ...store,
    history: (...args) => {
      calls.history++;
      return store.history(...args);
    },
    lastSeqs: (...args) => {
      calls.lastSeqs++;
      return store.lastSeqs(...args);
    },
  };
  const joinPage = createJoinPages(counted);
  const resumes = await Promise.all([
    ...Array.from({ length: 20 }, (_, i) => joinPage(`quiet-${i}`, 0, 50)),
    joinPage('r', 5, 50),
    joinPage('r', 4, 50),
  ]);
  assert.deepEqual(calls, { history: 1, lastSeqs: 1 });
  assert.deepEqual(
    resumes.at(-1)?.messages.map((m) => m.seq),
    [5],
  );
  assert.ok(resumes.every((p) => !p.hasMore));
}

describe('join page', () => {
  test('SQLite: history and lastSeq of every kind of join', async () => {
    const store = openSqliteStore({ path: join(tempDir(), 'db.sqlite'), log });
    after(() => store.close());
    await checkJoinPages(store);
  });

  test('PostgreSQL: history and lastSeq of every kind of join', async (t) => {
    const url = await createTestDatabase();
    if (!url) return t.skip('needs PostgreSQL');
    const store = await openPostgresStore({ url, log });
    after(() => store.close());
    await checkJoinPages(store);
  });
});
