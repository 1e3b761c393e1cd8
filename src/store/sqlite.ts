import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { FastifyBaseLogger } from 'fastify';
import { AppError } from '../errors.js';
import type { Conversation, RecentRoom } from '../protocol.js';
import { listedSql } from '../room-listing.js';
import {
  type ConversationPatch,
  type ConversationQuery,
  type ConversationRow,
  conversationMigration,
  conversationSql,
  type NewConversation,
  newConversationValues,
  patchSql,
  toConversation,
} from './conversations.js';
import {
  type AppendResult,
  type AttachmentRow,
  attachmentSql,
  attachmentValues,
  type AuditRow,
  auditSql,
  auditValues,
  type BanRow,
  banSql,
  configureSql,
  type Change,
  type HistoryQuery,
  markReadSql,
  type MessageRow,
  type NewMessage,
  type Page,
  planChange,
  type ReadMark,
  type SettingsRow,
  type Store,
  toAuditEntry,
  toBan,
  toBanRow,
  toMessage,
  toSettings,
  toStoredAttachment,
} from './store.js';

/** Each entry moves the schema one version on (PRAGMA user_version counts them). */
export const migrations = [
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
  // A room's last seq is read from its messages: one B-tree page less written per message.
  'DROP TABLE rooms;',
  // clientId first: roomcast's clients make time-ordered ids (UUIDv7), so new entries land on the
  // index's last page instead of one page per room, a page less written per message.
  `DROP INDEX messages_client;
   CREATE UNIQUE INDEX messages_client ON messages (client_id, room, author_id) WHERE client_id IS NOT NULL;`,
  // Change entries (protocol 6.4): a `delete` entry names its target, which keeps its row, blanked.
  `ALTER TABLE messages ADD COLUMN type TEXT;
   ALTER TABLE messages ADD COLUMN target INTEGER;
   ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX messages_target ON messages (room, target) WHERE target IS NOT NULL;`,
  `CREATE TABLE room_settings (
     room TEXT PRIMARY KEY,
     slow_mode_seconds INTEGER NOT NULL,
     read_only INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  `CREATE TABLE bans (
     id TEXT PRIMARY KEY,
     user_id TEXT,
     ip TEXT,
     room TEXT,
     until INTEGER,
     reason TEXT,
     by_id TEXT NOT NULL,
     by_name TEXT NOT NULL,
     by_kind TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     lifted_at INTEGER
   ) WITHOUT ROWID;`,
  `CREATE TABLE audit (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     ts INTEGER NOT NULL,
     actor_id TEXT NOT NULL,
     actor_name TEXT NOT NULL,
     actor_kind TEXT NOT NULL,
     action TEXT NOT NULL,
     room TEXT,
     target TEXT NOT NULL,
     reason TEXT
   );
   CREATE INDEX audit_room ON audit (room, id);`,
  // Protocol 6.3: edit and reaction entries, replies, and a message's state after its changes.
  `ALTER TABLE messages ADD COLUMN emoji TEXT;
   ALTER TABLE messages ADD COLUMN reaction_on INTEGER;
   ALTER TABLE messages ADD COLUMN reply_to INTEGER;
   ALTER TABLE messages ADD COLUMN edited_at INTEGER;
   ALTER TABLE messages ADD COLUMN reactions TEXT;`,
  // Read positions (protocol 6.3): one per user and room, the same on all the user's devices.
  `CREATE TABLE room_reads (
     room TEXT NOT NULL,
     user_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     PRIMARY KEY (room, user_id)
   ) WITHOUT ROWID;`,
  // Attachments (issue 13 point 4): uploaded files with their bytes, and a message's files as JSON.
  // A rowid table: SQLite keeps large blobs in overflow pages there, not in the index's B-tree.
  `CREATE TABLE attachments (
     id TEXT NOT NULL UNIQUE,
     room TEXT NOT NULL,
     owner_id TEXT NOT NULL,
     name TEXT NOT NULL,
     type TEXT NOT NULL,
     size INTEGER NOT NULL,
     width INTEGER,
     height INTEGER,
     created_at INTEGER NOT NULL,
     data BLOB NOT NULL,
     sent INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX attachments_unsent ON attachments (created_at) WHERE sent = 0;
   ALTER TABLE messages ADD COLUMN attachments TEXT;`,
  // Support conversations (protocol 6.5), and the staff mark of their messages' authors.
  `${conversationMigration({ text: 'TEXT', int: 'INTEGER' })}
   ALTER TABLE messages ADD COLUMN author_staff INTEGER NOT NULL DEFAULT 0;`,
];

/** SQLite result codes that mean the database cannot answer now, not that the call was wrong. */
const unavailableCodes = /^SQLITE_(BUSY|LOCKED|FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB)/;

/** The most appends one transaction takes, so one commit never holds the event loop for long. */
const maxBatch = 256;

/** How often the checkpointer thread copies the WAL into the database. */
const checkpointEveryMs = 250;

/** WAL pages (4 KB each) after which this thread checkpoints itself, should the worker fall behind. */
const backstopCheckpointPages = 10_000;

interface PendingAppend {
  input: NewMessage;
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
}

/**
 * The embedded store: one SQLite file in WAL mode and prepared statements. Calls are synchronous
 * underneath and each takes microseconds, so the event loop never waits long. Appends made in one
 * turn of the event loop are committed together in one transaction (group commit): under load a
 * commit, the costly part, is shared by many messages, and when idle a message waits for nothing.
 */
export function openSqliteStore({ path, log }: { path: string; log: FastifyBaseLogger }): Store {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // WAL + NORMAL survives a process crash; only an OS crash may lose the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // A worker thread checkpoints (copies the WAL into the database, with its fsync calls) so this
  // thread never waits on the disk; the automatic checkpoint here is only a backstop.
  db.pragma(`wal_autocheckpoint = ${backstopCheckpointPages}`);
  const version = db.pragma('user_version', { simple: true }) as number;
  db.transaction(() => {
    for (const [i, sql] of migrations.entries()) {
      if (i < version) continue;
      db.exec(sql);
      db.pragma(`user_version = ${i + 1}`);
    }
  })();
  const checkpointer = path === ':memory:' ? undefined : startCheckpointer(path, log);

  const byClientId = db.prepare<[string, string, string], MessageRow>(
    'SELECT * FROM messages WHERE room = ? AND author_id = ? AND client_id = ?',
  );
  // Rows are never removed (a deleted message keeps its row, blanked), so a room's newest message holds its last seq. Read inside the
  // write transaction, which excludes every other writer, the next seq is gap-free and unique.
  const lastSeq = db.prepare<[string], number>('SELECT seq FROM messages WHERE room = ? ORDER BY seq DESC LIMIT 1').pluck();
  const insert = db.prepare(
    `INSERT INTO messages (room, seq, text, author_id, author_name, author_kind, author_staff, client_id, ts, type, target,
                           deleted, emoji, reaction_on, reply_to, edited_at, reactions, attachments)
     VALUES (@room, @seq, @text, @author_id, @author_name, @author_kind, @author_staff, @client_id, @ts, @type, @target,
             @deleted, @emoji, @reaction_on, @reply_to, @edited_at, @reactions, @attachments)`,
  );
  const bySeq = db.prepare<[string, number], MessageRow>('SELECT * FROM messages WHERE room = ? AND seq = ?');
  // Walks the rooms by the primary key (a skip scan: one seek per room, not one row per message),
  // then reads each room's newest entry.
  const recent = db.prepare<[number], RecentRoom>(
    `WITH RECURSIVE r(room) AS (
       SELECT MIN(room) FROM messages
       UNION ALL SELECT (SELECT MIN(room) FROM messages WHERE room > r.room) FROM r WHERE r.room IS NOT NULL
     )
     SELECT m.room AS room, m.seq AS lastSeq, m.ts AS lastActivity
     FROM r JOIN messages m ON m.room = r.room AND m.seq = (SELECT MAX(seq) FROM messages WHERE room = r.room)
     WHERE ${listedSql('r.room')}
     ORDER BY m.ts DESC, m.room LIMIT ?`,
  );
  const deletionOf = db.prepare<[string, number], MessageRow>("SELECT * FROM messages WHERE room = ? AND target = ? AND type = 'delete'");
  const updateTarget = db.prepare(
    `UPDATE messages SET text = @text, deleted = @deleted, edited_at = @edited_at, reactions = @reactions
     WHERE room = @room AND seq = @seq`,
  );
  const newest = db.prepare<[string, number, number], MessageRow>(
    'SELECT * FROM messages WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?',
  );
  const oldest = db.prepare<[string, number, number, number], MessageRow>(
    'SELECT * FROM messages WHERE room = ? AND seq > ? AND seq < ? ORDER BY seq ASC LIMIT ?',
  );
  const getSecret = db.prepare<[string], { value: string }>('SELECT value FROM secrets WHERE name = ?');
  const putSecret = db.prepare('INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)');
  const ping = db.prepare('SELECT 1');
  const settingsOf = db.prepare<[string], SettingsRow>('SELECT slow_mode_seconds, read_only FROM room_settings WHERE room = ?');
  const bans = banSql((n) => `@p${n}`);
  const insertBan = db.prepare<Record<string, unknown>>(bans.insert);
  const activeBans = db.prepare<{ p1: number }, BanRow>(bans.active);
  const liftBan = db.prepare<{ p1: string; p2: number }, BanRow>(bans.lift);
  const audits = auditSql((n) => `@p${n}`);
  const insertAudit = db.prepare<Record<string, unknown>, AuditRow>(audits.insert);
  const auditPage = db.prepare<{ p1: number; p2: string | null; p3: number }, AuditRow>(audits.page);
  const upsertRead = db.prepare<[string, string, number], { seq: number }>(markReadSql('VALUES (?, ?, ?)'));
  const readsOf = db.prepare<[string, string], { user_id: string; seq: number }>(
    'SELECT user_id, seq FROM room_reads WHERE room = ? AND user_id IN (SELECT value FROM json_each(?))',
  );
  const files = attachmentSql((n) => `@p${n}`);
  const insertAttachment = db.prepare<Record<string, unknown>>(files.insert);
  const attachmentMeta = db.prepare<{ p1: string }, AttachmentRow>(files.meta);
  const attachmentData = db.prepare<{ p1: string }, AttachmentRow & { data: Buffer }>(files.data);
  const markSent = db.prepare<[string]>('UPDATE attachments SET sent = 1 WHERE id = ?');
  const sweepUnsent = db.prepare<[number]>('DELETE FROM attachments WHERE sent = 0 AND created_at < ?');
  const configure = db.prepare<{ p1: string; p2: number | null; p3: number | null }, SettingsRow>(configureSql((n) => `@p${n}`));
  const conversationQueries = conversationSql((n) => `@p${n}`);
  const insertConversation = db.prepare<Record<string, unknown>>(conversationQueries.insert);
  const conversationById = db.prepare<{ p1: string }, ConversationRow>(conversationQueries.byId);
  const currentConversation = db.prepare<{ p1: string; p2: string }, ConversationRow>(conversationQueries.current);
  const conversationPage = db.prepare<Record<string, unknown>, ConversationRow>(conversationQueries.list);

  /** The UPDATE of each shape of patch, prepared once. */
  const patches = new Map<string, Database.Statement<Record<string, unknown>>>();
  /** Named parameters `p1`, `p2`, ... from values in order. */
  const named = (values: unknown[]) => Object.fromEntries(values.map((v, i) => [`p${i + 1}`, v]));

  function toWire(row: ConversationRow | undefined): Conversation | undefined {
    if (!row) return undefined;
    const last = row.last_seq === null ? undefined : bySeq.get(`conv-${row.id}`, Number(row.last_seq));
    return toConversation(row, last && toMessage(last), Date.now());
  }

  function openConversation(input: NewConversation) {
    const created = insertConversation.run(named(newConversationValues(input))).changes > 0;
    const conversation = toWire(currentConversation.get({ p1: input.inbox, p2: input.visitor.id }));
    if (!conversation) throw new Error('no conversation after its insert');
    return { conversation, created };
  }

  function conversations({ inbox, status, userId, before, limit, now }: ConversationQuery) {
    const rows = conversationPage.all(named([inbox, now, userId, before ?? Number.MAX_SAFE_INTEGER, limit + 1, status]));
    return { conversations: rows.slice(0, limit).map((row) => toWire(row) as Conversation), hasMore: rows.length > limit };
  }

  function updateConversation(id: string, patch: ConversationPatch): boolean {
    const { sql, values } = patchSql(id, patch, (n) => `@p${n}`);
    const statement = patches.get(sql) ?? db.prepare<Record<string, unknown>>(sql);
    patches.set(sql, statement);
    try {
      return statement.run(named(values)).changes > 0;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new AppError('conflict', 'The visitor has another open conversation in this inbox.');
      }
      throw err;
    }
  }

  /** Stores a row with the room's next seq: a message, or a change entry (`fields`). */
  function insertNext(input: NewMessage, fields: Partial<MessageRow> = {}): AppendResult {
    const row: MessageRow = {
      room: input.room,
      seq: (lastSeq.get(input.room) ?? 0) + 1,
      text: input.text,
      author_id: input.author.id,
      author_name: input.author.name,
      author_kind: input.author.kind,
      author_staff: input.author.staff ? 1 : 0,
      client_id: input.clientId ?? null,
      ts: input.ts ?? Date.now(),
      type: null,
      target: null,
      deleted: 0,
      emoji: null,
      reaction_on: null,
      reply_to: input.replyTo ?? null,
      edited_at: null,
      reactions: null,
      attachments: input.attachments ? JSON.stringify(input.attachments) : null,
      ...fields,
    };
    insert.run({ ...row, reaction_on: row.reaction_on === null ? null : Number(row.reaction_on) });
    for (const file of input.attachments ?? []) markSent.run(file.id);
    return { message: toMessage(row), created: true };
  }

  function appendOne(input: NewMessage): AppendResult {
    if (input.clientId !== undefined) {
      const existing = byClientId.get(input.room, input.author.id, input.clientId);
      if (existing) return { message: toMessage(existing), created: false };
    }
    return insertNext(input);
  }

  function changeOne(change: Change): AppendResult | undefined {
    const { room, seq, author } = change;
    const row = bySeq.get(room, seq);
    const plan = planChange(row, change, change.ts ?? Date.now());
    if (plan.kind === 'missing') return undefined;
    if (plan.kind === 'unchanged') return row && { message: toMessage(row), created: false };
    if (plan.kind === 'deleted') {
      const entry = deletionOf.get(room, seq);
      return entry && { message: toMessage(entry), created: false };
    }
    updateTarget.run({ ...plan.target, deleted: Number(plan.target.deleted), room, seq });
    return insertNext({ room, author, text: plan.entry.text, ts: plan.entry.ts }, plan.entry);
  }
  function markRead(room: string, userId: string, seq: number): ReadMark {
    if (seq > (lastSeq.get(room) ?? 0)) return 'beyond';
    return upsertRead.get(room, userId, seq) ? 'moved' : 'kept';
  }

  const changeInTransaction = db.transaction(changeOne);
  const appendAll = db.transaction((inputs: NewMessage[]) => inputs.map(appendOne));
  const appendSingle = db.transaction(appendOne);

  const pending: PendingAppend[] = [];

  function append(input: NewMessage): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      // setImmediate runs after the I/O of this turn: every send read in it joins the batch.
      if (pending.push({ input, resolve, reject }) === 1) setImmediate(commitPending);
    });
  }

  function commitPending(): void {
    const batch = pending.splice(0, maxBatch);
    if (pending.length > 0) setImmediate(commitPending);
    if (batch.length === 0) return;
    try {
      const results = appendAll.immediate(batch.map((p) => p.input));
      for (const [i, p] of batch.entries()) p.resolve(results[i] as AppendResult);
    } catch {
      // The batch rolled back as a whole; one at a time, a failing append fails alone.
      for (const p of batch) call(() => appendSingle.immediate(p.input)).then(p.resolve, p.reject);
    }
  }

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
    append,
    change: (change) => call(() => changeInTransaction.immediate(change)),
    history: (room, query) => call(() => history(room, query)),
    roomSettings: (room) => call(() => toSettings(settingsOf.get(room))),
    configureRoom: (room, { slowModeSeconds, readOnly }) =>
      call(() =>
        toSettings(configure.get({ p1: room, p2: slowModeSeconds ?? null, p3: readOnly === undefined ? null : Number(readOnly) })),
      ),
    addBan: (ban) => call(() => void insertBan.run(Object.fromEntries(Object.values(toBanRow(ban)).map((v, i) => [`p${i + 1}`, v])))),
    activeBans: (now) => call(() => activeBans.all({ p1: now }).map(toBan)),
    liftBan: (id, now) =>
      call(() => {
        const row = liftBan.get({ p1: id, p2: now });
        return row && toBan(row);
      }),
    addAudit: (entry) =>
      call(() => toAuditEntry(insertAudit.get(Object.fromEntries(auditValues(entry).map((v, i) => [`p${i + 1}`, v]))) as AuditRow)),
    audit: ({ after, limit, room }) =>
      call(() => {
        const rows = auditPage.all({ p1: after ?? 0, p2: room ?? null, p3: limit + 1 });
        return { entries: rows.slice(0, limit).map(toAuditEntry), hasMore: rows.length > limit };
      }),
    putAttachment: (file, data) =>
      call(() => void insertAttachment.run(Object.fromEntries(attachmentValues(file, data).map((v, i) => [`p${i + 1}`, v])))),
    attachments: (ids) => call(() => ids.flatMap((id) => attachmentMeta.all({ p1: id }).map(toStoredAttachment))),
    attachmentData: (id) =>
      call(() => {
        const row = attachmentData.get({ p1: id });
        return row && { file: toStoredAttachment(row), data: row.data };
      }),
    sweepAttachments: (before) => call(() => sweepUnsent.run(before).changes),
    lastSeqs: (rooms) => call(() => new Map(rooms.map((room) => [room, lastSeq.get(room) ?? 0]))),
    recentRooms: (limit) => call(() => recent.all(limit)),
    markRead: (room, userId, seq) => call(() => markRead(room, userId, seq)),
    readPositions: (room, userIds) =>
      call(() => new Map(readsOf.all(room, JSON.stringify(userIds)).map((r) => [r.user_id, Number(r.seq)]))),
    secret: (name) =>
      call(() => {
        putSecret.run(name, randomBytes(32).toString('base64url'));
        return (getSecret.get(name) as { value: string }).value;
      }),
    openConversation: (input) => call(() => openConversation(input)),
    currentConversation: (inbox, visitorId) => call(() => toWire(currentConversation.get({ p1: inbox, p2: visitorId }))),
    conversation: (id) => call(() => toWire(conversationById.get({ p1: id }))),
    conversations: (query) => call(() => conversations(query)),
    updateConversation: (id, patch) => call(() => updateConversation(id, patch)),
    check: () => call(() => void ping.get()),
    close: async () => {
      // What was sent before the close is committed, not dropped.
      while (pending.length > 0) commitPending();
      await checkpointer?.stop();
      if (db.open) db.close();
    },
  };
}

/**
 * The checkpointer, a worker thread with its own connection. Plain CommonJS evaluated in the
 * worker, so it loads the same way from the TypeScript sources and the build. A PASSIVE
 * checkpoint never blocks the writer; frames written meanwhile are left for the next pass, and it
 * repeats until a pass finds nothing new, after which the writer can start the WAL over (it can
 * only when every frame is in the database), so the WAL stays small.
 */
const checkpointerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
function checkpoint() {
  let before = -1;
  for (let pass = 0; pass < 5; pass++) {
    const [{ log, checkpointed }] = db.pragma('wal_checkpoint(PASSIVE)');
    if (log === before && log === checkpointed) return;
    before = log;
  }
}
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

function startCheckpointer(path: string, log: FastifyBaseLogger) {
  const worker = new Worker(checkpointerSource, {
    eval: true,
    workerData: { path, driver: createRequire(import.meta.url).resolve('better-sqlite3'), everyMs: checkpointEveryMs },
  });
  // Without it the backstop still checkpoints, on the event loop.
  worker.on('error', (err) => log.error({ err }, 'SQLite checkpointer stopped'));
  worker.unref();
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    stop: async () => {
      worker.ref(); // so the process waits for the exit
      worker.postMessage('stop');
      await exited;
    },
  };
}
