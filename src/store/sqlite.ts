import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../errors.js';
import type { Message } from '../protocol.js';
import { type HistoryQuery, type MessageRow, type NewMessage, type Page, type Store, toMessage } from './store.js';


/** Each entry moves the schema one version on (PRAGMA user_version counts them). */
const migrations = [
  `CREATE TABLE rooms (
     name TEXT PRIMARY KEY,
     last_seq INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE messages (
     room TEXT NOT NULL,
     seq INTEGER NOT NULL,
     text TEXT NOT NULL,
     author_id TEXT NOT NULL,
     author_name TEXT NOT NULL,
     author_kind TEXT NOT NULL,
     client_id TEXT,
     ts INTEGER NOT NULL,
     PRIMARY KEY (room, seq)
   ) WITHOUT ROWID;
   CREATE UNIQUE INDEX messages_client ON messages (room, author_id, client_id) WHERE client_id IS NOT NULL;
   CREATE TABLE secrets (
     name TEXT PRIMARY KEY,
     value TEXT NOT NULL
   ) WITHOUT ROWID;`,
];

/** SQLite result codes that mean the database cannot answer now, not that the call was wrong. */
const unavailableCodes = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB)/;


/**
 * The embedded store: one SQLite file in WAL mode, prepared statements, one short transaction per
 * message. Calls are synchronous underneath and each takes microseconds, so the event loop never
 * waits long.
 */
export function openSqliteStore(path: string): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // WAL + NORMAL survives a process crash; only an OS crash may lose the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true }) as number;
  db.transaction(() => {
    for (const [i, sql] of migrations.entries()) {
      if (i < version) continue;
      db.exec(sql);
      db.pragma(`user_version = ${i + 1}`);
    }
  })();

  const byClientId = db.prepare<[string, string, string], MessageRow>(
    'SELECT * FROM messages WHERE room = ? AND author_id = ? AND client_id = ?',
  );
  const nextSeq = db.prepare<[string], { last_seq: number }>(
    `INSERT INTO rooms (name, last_seq) VALUES (?, 1)
     ON CONFLICT (name) DO UPDATE SET last_seq = last_seq + 1
     RETURNING last_seq`,
  );
  const insert = db.prepare(
    `INSERT INTO messages (room, seq, text, author_id, author_name, author_kind, client_id, ts)
     VALUES (@room, @seq, @text, @author_id, @author_name, @author_kind, @client_id, @ts)`,
  );
  const newest = db.prepare<[string, number, number], MessageRow>(
    'SELECT * FROM messages WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
  );
  const oldest = db.prepare<[string, number, number, number], MessageRow>(
    'SELECT * FROM messages WHERE room = ? AND seq > ? AND seq < ? ORDER BY seq ASC LIMIT ?',
  );
  const lastSeq = db.prepare<[string], { last_seq: number }>('SELECT last_seq FROM rooms WHERE name = ?');
  const getSecret = db.prepare<[string], { value: string }>('SELECT value FROM secrets WHERE name = ?');
  const putSecret = db.prepare('INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)');
  const ping = db.prepare('SELECT 1');

  const append = db.transaction((input: NewMessage): { message: Message; created: boolean } => {
    if (input.clientId !== undefined) {
      const existing = byClientId.get(input.room, input.author.id, input.clientId);
      if (existing) return { message: toMessage(existing), created: false };
    }
    const seq = (nextSeq.get(input.room) as { last_seq: number }).last_seq;
    const row: MessageRow = {
      room: input.room,
      seq,
      text: input.text,
      author_id: input.author.id,
      author_name: input.author.name,
      author_kind: input.author.kind,
      client_id: input.clientId ?? null,
      ts: Date.now(),
    };
    insert.run(row);
    return { message: toMessage(row), created: true };
  });

  function history(room: string, query: HistoryQuery): Page {
    const before = query.before ?? Number.MAX_SAFE_INTEGER;
    // One row more than asked tells whether more remain.
    if (query.after !== undefined) {
      const rows = oldest.all(room, query.after, before, query.limit + 1);
      const hasMore = rows.length > query.limit;
      return { messages: rows.slice(0, query.limit).map(toMessage), hasMore };
    }
    const rows = newest.all(room, before, query.limit + 1);
    const hasMore = rows.length > query.limit;
    return { messages: rows.slice(0, query.limit).reverse().map(toMessage), hasMore };
  }

  /** Runs a call, turning "the database cannot answer" into `unavailable`. */
  async function call<T>(run: () => T): Promise<T> {
    try {
      return run();
    } catch (err) {
      if (!db.open || unavailableCodes.test((err as { code?: string }).code ?? '')) {
        throw new AppError('unavailable', 'The message store is unavailable.');
      }
      throw err;
    }
  }

  return {
    append: (input) => call(() => append.immediate(input)),
    history: (room, query) => call(() => history(room, query)),
    lastSeqs: (rooms) => call(() => new Map(rooms.map((room) => [room, lastSeq.get(room)?.last_seq ?? 0]))),
    secret: (name) =>
      call(() => {
        putSecret.run(name, randomBytes(32).toString('base64url'));
        return (getSecret.get(name) as { value: string }).value;
      }),
    check: () => call(() => void ping.get()),
    close: async () => {
      if (db.open) db.close();
    },
  };
}
