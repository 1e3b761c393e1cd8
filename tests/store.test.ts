import assert from 'node:assert/strict';
import { statSync, watch } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import type { Member } from '../src/protocol.js';
import { connectionConfig, openPostgresStore } from '../src/store/postgres.js';
import { migrations, openSqliteStore } from '../src/store/sqlite.js';
import type { Store } from '../src/store/store.js';
import { createTestDatabase, tempDir } from './helpers.js';

const ana: Member = { id: 'u1', name: 'Ana', kind: 'user' };
const bo: Member = { id: 'u2', name: 'Bo', kind: 'guest' };

const log = pino({ level: 'silent' });

/** Opens a store on fresh storage; `reopen` opens a second one on the same storage. */
interface Backend {
  name: string;
  fresh(): Promise<{ open: () => Promise<Store> } | undefined>;
}

const backends: Backend[] = [
  {
    name: 'SQLite',
    fresh: async () => {
      const path = join(tempDir(), 'db.sqlite');
      return { open: async () => openSqliteStore({ path, log }) };
    },
  },
  {
    name: 'PostgreSQL',
    fresh: async () => {
      const url = await createTestDatabase();
      return url ? { open: () => openPostgresStore({ url, log }) } : undefined;
    },
  },
];

for (const backend of backends)
  describe(`${backend.name} store`, () => {
    /** A store on fresh storage, or the test is skipped when the backend is absent outside CI. */
    async function fresh(t: TestContext) {
      const storage = await backend.fresh();
      if (!storage) t.skip(`no ${backend.name}`);
      return storage;
    }

    test('seq is gap-free per room, also under concurrent appends', async (t) => {
      const storage = await fresh(t);
      if (!storage) return;
      const store = await storage.open();
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
      assert.deepEqual(
        await store.lastSeqs(['odd', 'even', 'none']),
        new Map([
          ['odd', 25],
          ['even', 25],
          ['none', 0],
        ]),
      );
      await store.close();
    });

    test('idempotent on (room, author, clientId), also when racing', async (t) => {
      const storage = await fresh(t);
      if (!storage) return;
      const store = await storage.open();
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
      // Two stores on the same storage, as two nodes: the same send raced from both is one message.
      const other = await storage.open();
      const raced = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? store : other).append({ room: 'race', text: 'once', author: ana, clientId: 'same' })),
      );
      assert.equal(raced.filter((r) => r.created).length, 1);
      assert.deepEqual(new Set(raced.map((r) => r.message.seq)), new Set([1]));
      const after = await other.append({ room: 'race', text: 'next', author: ana, clientId: 'next' });
      assert.equal(after.message.seq, 2, 'a raced duplicate left a gap');
      await other.close();
      await store.close();
    });

    test('pages by seq both ways and keeps everything across a reopen', async (t) => {
      const storage = await fresh(t);
      if (!storage) return;
      const store = await storage.open();
      for (let i = 1; i <= 10; i++) await store.append({ room: 'r', text: `m${i}`, author: ana, clientId: `c${i}` });
      await store.close();

      const reopened = await storage.open();
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

    test('a failing append in a burst fails alone and leaves no gap', async (t) => {
      const storage = await fresh(t);
      if (!storage) return;
      const store = await storage.open();
      // A NULL text breaks the NOT NULL constraint inside the store: the one way to make an append
      // fail without bypassing its interface.
      const texts = ['a', 'b', null, 'c'] as unknown as string[];
      const results = await Promise.allSettled(texts.map((text) => store.append({ room: 'r', text, author: ana })));
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'fulfilled', 'rejected', 'fulfilled'],
      );
      // Concurrent appends may take their seqs in any order (PostgreSQL runs them on several
      // connections), but together they take 1, 2, 3.
      const stored = (await store.history('r', { limit: 10 })).messages;
      assert.deepEqual(
        stored.map((m) => m.seq),
        [1, 2, 3],
      );
      assert.deepEqual(stored.map((m) => m.text).sort(), ['a', 'b', 'c']);
      await store.close();
    });

    test('a deletion is a change entry: the next seq, the target blanked, once, and no seq for a non-message', async (t) => {
      const storage = await fresh(t);
      if (!storage) return;
      const store = await storage.open();
      await store.append({ room: 'r', text: 'spam', author: bo, clientId: 'c1' });
      await store.append({ room: 'r', text: 'kept', author: ana });
      const [first, again] = await Promise.all([1, 2].map(() => store.change({ type: 'delete', room: 'r', seq: 1, author: ana })));
      const entries = [first, again].map((r) => r?.message);
      assert.deepEqual([first?.created, again?.created].sort(), [false, true], 'two deletions at once: one entry, the other returns it');
      assert.deepEqual(entries[0], entries[1]);
      assert.deepEqual(
        { seq: entries[0]?.seq, type: entries[0]?.type, target: entries[0]?.target, text: entries[0]?.text, author: entries[0]?.author },
        { seq: 3, type: 'delete', target: 1, text: '', author: ana },
      );
      const { messages } = await store.history('r', { limit: 10 });
      assert.deepEqual(
        messages.map((m) => [m.seq, m.text, m.deleted ?? false, m.type ?? 'message']),
        [
          [1, '', true, 'message'],
          [2, 'kept', false, 'message'],
          [3, '', false, 'delete'],
        ],
      );
      const retry = await store.append({ room: 'r', text: 'spam', author: bo, clientId: 'c1' });
      assert.equal(retry.created, false, 'a retry of the deleted send does not bring it back');
      assert.equal(retry.message.deleted, true);
      assert.equal(await store.change({ type: 'delete', room: 'r', seq: 3, author: ana }), undefined, 'an entry is no message');
      assert.equal(await store.change({ type: 'delete', room: 'r', seq: 9, author: ana }), undefined);
      assert.equal(await store.change({ type: 'delete', room: 'none', seq: 1, author: ana }), undefined);
      assert.equal((await store.append({ room: 'r', text: 'next', author: ana })).message.seq, 4, 'seq stays gap-free');
      await store.close();
    });

    test('edits and reactions are change entries too: the target updated, the next seq, nothing stored when nothing changes', async (t) => {
      const storage = await fresh(t);
      if (!storage) return;
      const store = await storage.open();
      await store.append({ room: 'r', text: 'frist', author: ana });
      assert.equal((await store.append({ room: 'r', text: 'reply', author: bo, replyTo: 1 })).message.replyTo, 1);
      const edit = await store.change({ type: 'edit', room: 'r', seq: 1, author: ana, text: 'first', ts: 1234 });
      assert.deepEqual(
        {
          created: edit?.created,
          seq: edit?.message.seq,
          type: edit?.message.type,
          target: edit?.message.target,
          text: edit?.message.text,
        },
        { created: true, seq: 3, type: 'edit', target: 1, text: 'first' },
      );
      // Two users at once, on two connections (PostgreSQL) or one (SQLite): both land, each with its seq.
      const ons = await Promise.all(
        [ana, bo].map((author) => store.change({ type: 'reaction', room: 'r', seq: 1, author, emoji: '👍', on: true })),
      );
      assert.deepEqual(ons.map((r) => r?.message.seq).sort(), [4, 5]);
      assert.deepEqual(
        ons.map((r) => [r?.message.emoji, r?.message.on]),
        [
          ['👍', true],
          ['👍', true],
        ],
      );
      const same = await store.change({ type: 'reaction', room: 'r', seq: 1, author: bo, emoji: '👍', on: true });
      assert.equal(same?.created, false, 'on when on stores nothing');
      assert.equal(same?.message.seq, 1, 'and answers the message as it is');
      assert.equal(same?.message.type, undefined);
      const notOn = await store.change({ type: 'reaction', room: 'r', seq: 1, author: bo, emoji: ':party:', on: false });
      assert.equal(notOn?.created, false, 'off when off stores nothing');
      const off = await store.change({ type: 'reaction', room: 'r', seq: 1, author: ana, emoji: '👍', on: false });
      assert.deepEqual([off?.created, off?.message.seq, off?.message.on], [true, 6, false]);
      await store.change({ type: 'reaction', room: 'r', seq: 2, author: ana, emoji: ':party:', on: true });
      const { messages } = await store.history('r', { limit: 10 });
      const [first, reply] = messages;
      assert.deepEqual(
        { text: first?.text, editedAt: first?.editedAt, reactions: first?.reactions },
        { text: 'first', editedAt: 1234, reactions: { '👍': ['u2'] } },
      );
      assert.deepEqual(reply?.reactions, { ':party:': ['u1'] });
      assert.deepEqual(
        messages.map((m) => m.type ?? 'message'),
        ['message', 'message', 'edit', 'reaction', 'reaction', 'reaction', 'reaction'],
      );
      assert.equal(await store.change({ type: 'edit', room: 'r', seq: 3, author: ana, text: 'x' }), undefined, 'an entry is no message');
      await store.change({ type: 'delete', room: 'r', seq: 1, author: ana });
      assert.equal(
        await store.change({ type: 'edit', room: 'r', seq: 1, author: ana, text: 'back' }),
        undefined,
        'a deleted message stays deleted',
      );
      assert.equal(await store.change({ type: 'reaction', room: 'r', seq: 1, author: ana, emoji: '👍', on: true }), undefined);
      const [deleted] = (await store.history('r', { after: 0, limit: 1 })).messages;
      assert.deepEqual([deleted?.text, deleted?.deleted, deleted?.reactions, deleted?.editedAt], ['', true, undefined, undefined]);
      assert.equal((await store.append({ room: 'r', text: 'next', author: ana })).message.seq, 9, 'seq stays gap-free');
      await store.close();
    });

    test('room settings: defaults, a patch changes only what it names, kept across a reopen', async (t) => {
      const storage = await fresh(t);
      if (!storage) return;
      const store = await storage.open();
      assert.deepEqual(await store.roomSettings('r'), { slowModeSeconds: 0, readOnly: false });
      assert.deepEqual(await store.configureRoom('r', { readOnly: true }), { slowModeSeconds: 0, readOnly: true });
      assert.deepEqual(await store.configureRoom('r', { slowModeSeconds: 30 }), { slowModeSeconds: 30, readOnly: true });
      assert.deepEqual(await store.configureRoom('r', {}), { slowModeSeconds: 30, readOnly: true });
      assert.deepEqual(await store.configureRoom('other', { slowModeSeconds: 5 }), { slowModeSeconds: 5, readOnly: false });
      await store.close();
      const again = await storage.open();
      assert.deepEqual(await again.roomSettings('r'), { slowModeSeconds: 30, readOnly: true });
      await again.close();
    });

    test('bans: in force until lifted or over, newest first, lifted once', async (t) => {
      const storage = await fresh(t);
      if (!storage) return;
      const store = await storage.open();
      const now = Date.now();
      const by = ana;
      const forGood = { id: '00000000-0000-4000-8000-000000000001', user: 'u9', room: 'r', reason: 'spam', by, createdAt: now - 3000 };
      const over = { id: '00000000-0000-4000-8000-000000000002', ip: '10.0.0.1', until: now - 1000, by, createdAt: now - 2000 };
      const later = { id: '00000000-0000-4000-8000-000000000003', ip: '2001:db8::/64', until: now + 60_000, by, createdAt: now - 1000 };
      for (const ban of [forGood, over, later]) await store.addBan(ban);
      assert.deepEqual(await store.activeBans(now), [later, forGood]);
      assert.deepEqual(await store.liftBan(forGood.id, now), forGood);
      assert.equal(await store.liftBan(forGood.id, now), undefined, 'lifted once');
      assert.equal(await store.liftBan(over.id, now), undefined, 'an ended ban is not in force');
      await store.close();
      const again = await storage.open();
      assert.deepEqual(await again.activeBans(now), [later]);
      await again.close();
    });

    test('the audit log: increasing ids, pages after an id, one room or all', async (t) => {
      const storage = await fresh(t);
      if (!storage) return;
      const store = await storage.open();
      const actor = ana;
      const kick = await store.addAudit({ ts: 1, actor, action: 'room.kick', room: 'r', target: { user: 'u2' }, reason: 'calm' });
      const ban = await store.addAudit({ ts: 2, actor, action: 'ban.create', target: { ban: 'b1', ip: '10.0.0.1' } });
      const other = await store.addAudit({ ts: 3, actor, action: 'message.delete', room: 'o', target: { seq: 4 } });
      assert.deepEqual(kick, { id: kick.id, ts: 1, actor, action: 'room.kick', room: 'r', target: { user: 'u2' }, reason: 'calm' });
      assert.ok(kick.id < ban.id && ban.id < other.id);
      assert.deepEqual(await store.audit({ limit: 2 }), { entries: [kick, ban], hasMore: true });
      assert.deepEqual(await store.audit({ after: ban.id, limit: 2 }), { entries: [other], hasMore: false });
      assert.deepEqual(await store.audit({ room: 'r', limit: 10 }), { entries: [kick], hasMore: false });
      await store.close();
    });

    test('a closed store answers unavailable', async (t) => {
      const storage = await fresh(t);
      if (!storage) return;
      const store = await storage.open();
      const sentBeforeClose = store.append({ room: 'r', text: 'kept', author: ana });
      await store.close();
      assert.equal((await sentBeforeClose).message.seq, 1, 'an append made before close was not committed');
      await assert.rejects(store.append({ room: 'r', text: 'x', author: ana }), { code: 'unavailable' });
      await assert.rejects(store.check(), { code: 'unavailable' });
    });
  });

describe('SQLite store on disk', () => {
  test('a database made by the first schema keeps its messages and seqs', async () => {
    const path = join(tempDir(), 'db.sqlite');
    const old = new Database(path);
    old.exec(migrations[0] as string);
    old.pragma('user_version = 1');
    old.prepare("INSERT INTO rooms (name, last_seq) VALUES ('r', 2)").run();
    const insert = old.prepare(
      "INSERT INTO messages (room, seq, text, author_id, author_name, author_kind, client_id, ts) VALUES ('r', ?, ?, 'u1', 'Ana', 'user', ?, 1)",
    );
    insert.run(1, 'first', 'c1');
    insert.run(2, 'second', null);
    old.close();

    const store = openSqliteStore({ path, log });
    assert.deepEqual(await store.lastSeqs(['r']), new Map([['r', 2]]));
    const again = await store.append({ room: 'r', text: 'first, resent', author: ana, clientId: 'c1' });
    assert.deepEqual([again.created, again.message.seq, again.message.text], [false, 1, 'first']);
    assert.equal((await store.append({ room: 'r', text: 'third', author: ana })).message.seq, 3);
    assert.deepEqual(
      (await store.history('r', { limit: 10 })).messages.map((m) => m.text),
      ['first', 'second', 'third'],
    );
    await store.close();
  });

  test("a database from before files were withdrawn: a deleted message's file is no longer served, a live one's is", async () => {
    const path = join(tempDir(), 'db.sqlite');
    const old = new Database(path);
    const before = migrations.length - 1;
    for (const sql of migrations.slice(0, before)) old.exec(sql);
    old.pragma(`user_version = ${before}`);
    const file = old.prepare(
      "INSERT INTO attachments (id, room, owner_id, name, type, size, created_at, data, sent) VALUES (?, 'r', 'u1', ?, 'text/plain', 1, 1, x'41', ?)",
    );
    for (const [id, sent] of [
      ['kept', 1],
      ['shared', 1],
      ['gone', 1],
      ['unsent', 0],
    ] as const)
      file.run(id, `${id}.txt`, sent);
    const message = old.prepare(
      "INSERT INTO messages (room, seq, text, author_id, author_name, author_kind, ts, deleted, attachments) VALUES ('r', ?, '', 'u1', 'Ana', 'user', 1, ?, ?)",
    );
    const files = (...ids: string[]) => JSON.stringify(ids.map((id) => ({ id, name: `${id}.txt`, type: 'text/plain', size: 1, url: '' })));
    message.run(1, 1, files('gone', 'shared'));
    message.run(2, 0, files('kept', 'shared'));
    old.close();

    const store = openSqliteStore({ path, log });
    const served = async (id: string) => (await store.attachmentData(id)) !== undefined;
    assert.deepEqual(await Promise.all(['kept', 'shared', 'gone', 'unsent'].map(served)), [true, true, false, true]);
    // The counts are right: deleting the live message withdraws both of its files.
    assert.ok((await store.change({ type: 'delete', room: 'r', seq: 2, author: ana }))?.created);
    assert.deepEqual(await Promise.all(['kept', 'shared'].map(served)), [false, false]);
    assert.ok((await store.history('r', { limit: 10 })).messages.every((m) => m.attachments === undefined));
    await store.close();
  });

  test('a worker thread checkpoints the WAL into the database file', async () => {
    const path = join(tempDir(), 'db.sqlite');
    const store = openSqliteStore({ path, log });
    const emptySize = statSync(path).size;
    // Far below the backstop, so this thread never checkpoints: only the worker can grow the file.
    await Promise.all(Array.from({ length: 500 }, (_, i) => store.append({ room: `r${i % 50}`, text: 'x'.repeat(200), author: ana })));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        watcher.close();
        reject(new Error('the database file never grew'));
      }, 5000);
      const grown = () => {
        if (statSync(path).size <= emptySize) return;
        clearTimeout(timer);
        watcher.close();
        resolve();
      };
      const watcher = watch(path, grown);
      grown(); // it may have grown before the watch began
    });
    assert.equal((await store.history('r7', { limit: 20 })).messages.length, 10);
    await store.close();
  });
});

describe('PostgreSQL connection URLs, read as libpq reads them', () => {
  test('sslmode and the default user', () => {
    assert.equal(connectionConfig('postgres://db.example:5432/app').ssl, false);
    assert.deepEqual(connectionConfig('postgres://u:p@db.example/app?sslmode=require').ssl, { rejectUnauthorized: false });
    assert.deepEqual(connectionConfig('postgres://u:p@db.example/app?sslmode=verify-full').ssl, { rejectUnauthorized: true });
    assert.equal(connectionConfig('postgres://db.example/app?sslmode=disable').ssl, false);
    const config = connectionConfig('postgres://u:p@db.example:6543/app');
    assert.deepEqual([config.user, config.password, config.host, config.port, config.database], ['u', 'p', 'db.example', 6543, 'app']);
    assert.equal(connectionConfig('postgres://db.example/app').user, userInfo().username);
  });
});
