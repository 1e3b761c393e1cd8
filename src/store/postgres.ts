import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { userInfo } from 'node:os';
import pg from 'pg';
import { parse, toClientConfig } from 'pg-connection-string';
import { AppError } from '../errors.js';
import type { Conversation } from '../protocol.js';
import { listedSql } from '../room-listing.js';
import {
  type ConversationPatch,
  type ConversationRow,
  conversationMigration,
  conversationSql,
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
  type HistoryQuery,
  type Change,
  markReadSql,
  type MessageRow,
  type NewMessage,
  type Page,
  planChange,
  type SettingsRow,
  type Store,
  toAuditEntry,
  toBan,
  toBanRow,
  toMessage,
  toSettings,
  toStoredAttachment,
} from './store.js';

/**
 * Each entry moves the schema one version on. Appending is one function call, so one round trip:
 * the room row's lock orders concurrent senders on every node, and a clientId another node stored
 * first rolls our seq back with the failed insert, so seq stays gap-free.
 */
const migrations = [
  `CREATE TABLE rooms (
     name text PRIMARY KEY,
     last_seq bigint NOT NULL
   );
   CREATE TABLE messages (
     room text NOT NULL,
     seq bigint NOT NULL,
     text text NOT NULL,
     author_id text NOT NULL,
     author_name text NOT NULL,
     author_kind text NOT NULL,
     client_id text,
     ts bigint NOT NULL,
     PRIMARY KEY (room, seq)
   );
   CREATE UNIQUE INDEX messages_client ON messages (room, author_id, client_id) WHERE client_id IS NOT NULL;
   CREATE TABLE secrets (
     name text PRIMARY KEY,
     value text NOT NULL
   );
   CREATE FUNCTION roomcast_append(p_room text, p_text text, p_author_id text, p_author_name text,
                                   p_author_kind text, p_client_id text, p_ts bigint)
   RETURNS TABLE (created boolean, message messages)
   LANGUAGE plpgsql AS $$
   DECLARE
     v_seq bigint;
   BEGIN
     IF p_client_id IS NOT NULL THEN
       RETURN QUERY SELECT false, m FROM messages m
         WHERE m.room = p_room AND m.author_id = p_author_id AND m.client_id = p_client_id;
       IF FOUND THEN RETURN; END IF;
     END IF;
     BEGIN
       INSERT INTO rooms AS r (name, last_seq) VALUES (p_room, 1)
         ON CONFLICT (name) DO UPDATE SET last_seq = r.last_seq + 1
         RETURNING r.last_seq INTO v_seq;
       INSERT INTO messages VALUES (p_room, v_seq, p_text, p_author_id, p_author_name, p_author_kind, p_client_id, p_ts);
     EXCEPTION WHEN unique_violation THEN
       RETURN QUERY SELECT false, m FROM messages m
         WHERE m.room = p_room AND m.author_id = p_author_id AND m.client_id = p_client_id;
       RETURN;
     END;
     RETURN QUERY SELECT true, m FROM messages m WHERE m.room = p_room AND m.seq = v_seq;
   END $$;`,
  // Change entries (protocol 6.4): a `delete` entry names its target, which keeps its row, blanked.
  // The target's row lock orders two deletions of it; the room row's, the seq as for appends.
  `ALTER TABLE messages ADD COLUMN type text, ADD COLUMN target bigint, ADD COLUMN deleted boolean NOT NULL DEFAULT false;
   CREATE INDEX messages_target ON messages (room, target) WHERE target IS NOT NULL;
   CREATE FUNCTION roomcast_delete(p_room text, p_seq bigint, p_author_id text, p_author_name text,
                                   p_author_kind text, p_ts bigint)
   RETURNS TABLE (created boolean, message messages)
   LANGUAGE plpgsql AS $$
   DECLARE
     v_target messages;
     v_seq bigint;
   BEGIN
     SELECT * INTO v_target FROM messages m WHERE m.room = p_room AND m.seq = p_seq FOR UPDATE;
     IF NOT FOUND OR v_target.type IS NOT NULL THEN RETURN; END IF;
     IF v_target.deleted THEN
       RETURN QUERY SELECT false, m FROM messages m WHERE m.room = p_room AND m.target = p_seq AND m.type = 'delete';
       RETURN;
     END IF;
     UPDATE messages m SET text = '', deleted = true WHERE m.room = p_room AND m.seq = p_seq;
     UPDATE rooms r SET last_seq = r.last_seq + 1 WHERE r.name = p_room RETURNING r.last_seq INTO v_seq;
     INSERT INTO messages (room, seq, text, author_id, author_name, author_kind, client_id, ts, type, target)
       VALUES (p_room, v_seq, '', p_author_id, p_author_name, p_author_kind, NULL, p_ts, 'delete', p_seq);
     RETURN QUERY SELECT true, m FROM messages m WHERE m.room = p_room AND m.seq = v_seq;
   END $$;`,
  `CREATE TABLE room_settings (
     room text PRIMARY KEY,
     slow_mode_seconds integer NOT NULL,
     read_only boolean NOT NULL
   );`,
  `CREATE TABLE bans (
     id text PRIMARY KEY,
     user_id text,
     ip text,
     room text,
     until bigint,
     reason text,
     by_id text NOT NULL,
     by_name text NOT NULL,
     by_kind text NOT NULL,
     created_at bigint NOT NULL,
     lifted_at bigint
   );`,
  `CREATE TABLE audit (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     ts bigint NOT NULL,
     actor_id text NOT NULL,
     actor_name text NOT NULL,
     actor_kind text NOT NULL,
     action text NOT NULL,
     room text,
     target text NOT NULL,
     reason text
   );
   CREATE INDEX audit_room ON audit (room, id);`,
  // Protocol 6.3: edit and reaction entries, replies, and a message's state after its changes.
  // roomcast_append gains replyTo as an overload: nodes of the previous version, during a rolling
  // upgrade, still call the old one (and roomcast_delete), which keep working.
  `ALTER TABLE messages ADD COLUMN emoji text, ADD COLUMN reaction_on boolean, ADD COLUMN reply_to bigint,
     ADD COLUMN edited_at bigint, ADD COLUMN reactions text;
   CREATE FUNCTION roomcast_append(p_room text, p_text text, p_author_id text, p_author_name text,
                                   p_author_kind text, p_client_id text, p_ts bigint, p_reply_to bigint)
   RETURNS TABLE (created boolean, message messages)
   LANGUAGE plpgsql AS $$
   DECLARE
     v_seq bigint;
   BEGIN
     IF p_client_id IS NOT NULL THEN
       RETURN QUERY SELECT false, m FROM messages m
         WHERE m.room = p_room AND m.author_id = p_author_id AND m.client_id = p_client_id;
       IF FOUND THEN RETURN; END IF;
     END IF;
     BEGIN
       INSERT INTO rooms AS r (name, last_seq) VALUES (p_room, 1)
         ON CONFLICT (name) DO UPDATE SET last_seq = r.last_seq + 1
         RETURNING r.last_seq INTO v_seq;
       INSERT INTO messages (room, seq, text, author_id, author_name, author_kind, client_id, ts, reply_to)
         VALUES (p_room, v_seq, p_text, p_author_id, p_author_name, p_author_kind, p_client_id, p_ts, p_reply_to);
     EXCEPTION WHEN unique_violation THEN
       RETURN QUERY SELECT false, m FROM messages m
         WHERE m.room = p_room AND m.author_id = p_author_id AND m.client_id = p_client_id;
       RETURN;
     END;
     RETURN QUERY SELECT true, m FROM messages m WHERE m.room = p_room AND m.seq = v_seq;
   END $$;`,
  // Read positions (protocol 6.3): one per user and room, the same on all the user's devices.
  `CREATE TABLE room_reads (
     room text NOT NULL,
     user_id text NOT NULL,
     seq bigint NOT NULL,
     PRIMARY KEY (room, user_id)
   );`,
  // Attachments (issue 13 point 4): uploaded files with their bytes, and a message's files as JSON.
  `CREATE TABLE attachments (
     id text PRIMARY KEY,
     room text NOT NULL,
     owner_id text NOT NULL,
     name text NOT NULL,
     type text NOT NULL,
     size integer NOT NULL,
     width integer,
     height integer,
     created_at bigint NOT NULL,
     data bytea NOT NULL,
     sent boolean NOT NULL DEFAULT false
   );
   CREATE INDEX attachments_unsent ON attachments (created_at) WHERE NOT sent;
   ALTER TABLE messages ADD COLUMN attachments text;`,
  // Support conversations (protocol 6.5), and the staff mark of their messages' authors:
  // roomcast_append gains it as an overload, as replyTo came (the older ones keep working), which
  // calls the previous one and marks the row it made, in the same statement.
  `${conversationMigration({ text: 'text', int: 'bigint' })}
   ALTER TABLE messages ADD COLUMN author_staff boolean NOT NULL DEFAULT false;
   CREATE FUNCTION roomcast_append(p_room text, p_text text, p_author_id text, p_author_name text,
                                   p_author_kind text, p_client_id text, p_ts bigint, p_reply_to bigint,
                                   p_author_staff boolean)
   RETURNS TABLE (created boolean, message messages)
   LANGUAGE plpgsql AS $$
   DECLARE
     v_result record;
     v_message messages;
   BEGIN
     SELECT * INTO v_result
       FROM roomcast_append(p_room, p_text, p_author_id, p_author_name, p_author_kind, p_client_id, p_ts, p_reply_to);
     v_message := v_result.message;
     IF v_result.created AND p_author_staff THEN
       UPDATE messages m SET author_staff = true WHERE m.room = p_room AND m.seq = v_message.seq RETURNING * INTO v_message;
     END IF;
     RETURN QUERY SELECT v_result.created, v_message;
   END $$;`,
];

/** SQLSTATE classes that mean "the database cannot answer now": connection, resources, shutdown. */
function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return /^(08|53|57)/.test(code);
  // No SQLSTATE: a network error or a client-side timeout.
  return true;
}

/** SQLSTATE class 22: a value PostgreSQL cannot take (a NUL in text, a bigint out of range). */
function isDataException(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('22');
}

/**
 * libpq's reading of a connection URL, which hosted databases document: the OS user when none is
 * given, and `sslmode` as libpq means it (`require` encrypts without checking the certificate,
 * `verify-ca` and `verify-full` check it).
 */
export function connectionConfig(url: string): pg.ClientConfig {
  const { sslmode, ...config } = parse(url, {});
  const ssl =
    sslmode === undefined || sslmode === 'disable' ? false : { rejectUnauthorized: sslmode === 'verify-ca' || sslmode === 'verify-full' };
  return { ...toClientConfig({ ...config, ssl: false }), user: config.user || userInfo().username, ssl };
}

export interface PostgresOptions {
  url: string;
  log: FastifyBaseLogger;
  /** How long a connect or a statement may take before the call answers `unavailable`. */
  timeoutMs?: number;
}

/** The shared store for several nodes: PostgreSQL, with migrations applied at start. */
export async function openPostgresStore({ url, log, timeoutMs = 2000 }: PostgresOptions): Promise<Store> {
  const pool = new pg.Pool({
    ...connectionConfig(url),
    max: 10,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
    keepAlive: true,
    application_name: 'roomcast',
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (err) => log.warn({ err }, 'PostgreSQL connection lost'));

  /** Calls under way, which close() lets finish. */
  const inFlight = new Set<Promise<unknown>>();

  function call<T>(run: () => Promise<T>): Promise<T> {
    const done = run().catch((err: unknown) => {
      // A refusal the store made itself (`conflict`) is the answer as it is.
      if (err instanceof AppError) throw err;
      if (isUnavailable(err)) {
        log.warn({ err }, 'PostgreSQL unavailable');
        throw new AppError('unavailable', 'The message store is unavailable.');
      }
      if (isDataException(err)) {
        // The edges refuse such values first; this keeps any that slip through from being a 500.
        log.warn({ err }, 'PostgreSQL refused a value');
        throw new AppError('bad_request', 'A value cannot be stored: a number out of range or a NUL character.');
      }
      throw err;
    });
    inFlight.add(done);
    void done.then(
      () => inFlight.delete(done),
      () => inFlight.delete(done),
    );
    return done;
  }

  await migrate(pool);
  // The room's last seq and the upsert in one round trip; a seq past the last one inserts nothing.
  const markRead = `WITH last AS (SELECT last_seq FROM rooms WHERE name = $1::text),
    up AS (${markReadSql('SELECT $1::text, $2::text, $3::bigint FROM last WHERE $3::bigint <= last.last_seq')})
    SELECT (SELECT last_seq FROM last) AS last_seq, EXISTS (SELECT 1 FROM up) AS moved`;
  const bans = banSql((n) => `$${n}`);
  const auditInsert = auditSql((n) => `$${n}`).insert;
  // Typed, so `$2 IS NULL` knows its type.
  const auditPage = auditSql((n) => `$${n}::${['bigint', 'text', 'integer'][n - 1]}`).page;

  const files = attachmentSql((n) => `$${n}`);

  const APPEND = 'SELECT created, to_jsonb(message) AS message FROM roomcast_append($1, $2, $3, $4, $5, $6, $7, $8, $9)';
  const appendValues = (input: NewMessage) => [
    input.room,
    input.text,
    input.author.id,
    input.author.name,
    input.author.kind,
    input.clientId ?? null,
    input.ts ?? Date.now(),
    input.replyTo ?? null,
    input.author.staff === true,
  ];

  /**
   * A message with files: roomcast_append and the files' JSON in one transaction, so the message
   * is never stored without them. (Plain messages keep their one round trip.)
   */
  async function appendWithFiles(input: NewMessage) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ created: boolean; message: MessageRow }>(APPEND, appendValues(input));
      const row = rows[0];
      if (!row) throw new Error('roomcast_append returned no row');
      if (row.created) {
        row.message.attachments = JSON.stringify(input.attachments);
        await client.query('UPDATE messages SET attachments = $3 WHERE room = $1 AND seq = $2', [
          input.room,
          row.message.seq,
          row.message.attachments,
        ]);
        await client.query('UPDATE attachments SET sent = true WHERE id = ANY($1)', [input.attachments?.map((a) => a.id)]);
      }
      await client.query('COMMIT');
      return row;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async function history(room: string, query: HistoryQuery): Promise<Page> {
    const before = query.before ?? Number.MAX_SAFE_INTEGER;
    // One row more than asked tells whether more remain.
    if (query.after !== undefined) {
      const { rows } = await pool.query<MessageRow>(
        'SELECT * FROM messages WHERE room = $1 AND seq > $2 AND seq < $3 ORDER BY seq ASC LIMIT $4',
        [room, query.after, before, query.limit + 1],
      );
      return { messages: rows.slice(0, query.limit).map(toMessage), hasMore: rows.length > query.limit };
    }
    const { rows } = await pool.query<MessageRow>('SELECT * FROM messages WHERE room = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3', [
      room,
      before,
      query.limit + 1,
    ]);
    return { messages: rows.slice(0, query.limit).reverse().map(toMessage), hasMore: rows.length > query.limit };
  }

  /**
   * One transaction: the target's row lock orders two changes of it (on any node), the room row's
   * the seq, as for appends.
   */
  async function applyChange(change: Change): Promise<AppendResult | undefined> {
    const { room, seq, author } = change;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const [row] = (await client.query<MessageRow>('SELECT * FROM messages WHERE room = $1 AND seq = $2 FOR UPDATE', [room, seq])).rows;
      const plan = planChange(row, change, change.ts ?? Date.now());
      let result: AppendResult | undefined;
      if (plan.kind === 'unchanged') result = row && { message: toMessage(row), created: false };
      else if (plan.kind === 'deleted') {
        const [entry] = (
          await client.query<MessageRow>("SELECT * FROM messages WHERE room = $1 AND target = $2 AND type = 'delete'", [room, seq])
        ).rows;
        result = entry && { message: toMessage(entry), created: false };
      } else if (plan.kind === 'apply') {
        const { target, entry } = plan;
        await client.query('UPDATE messages SET text = $3, deleted = $4, edited_at = $5, reactions = $6 WHERE room = $1 AND seq = $2', [
          room,
          seq,
          target.text,
          Boolean(target.deleted),
          target.edited_at,
          target.reactions,
        ]);
        const [inserted] = (
          await client.query<MessageRow>(
            `WITH next AS (UPDATE rooms SET last_seq = last_seq + 1 WHERE name = $1 RETURNING last_seq)
             INSERT INTO messages (room, seq, text, author_id, author_name, author_kind, ts, type, target, emoji, reaction_on, author_staff)
             SELECT $1, last_seq, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM next RETURNING *`,
            [
              room,
              entry.text,
              author.id,
              author.name,
              author.kind,
              entry.ts,
              entry.type,
              entry.target,
              entry.emoji,
              entry.reaction_on,
              author.staff === true,
            ],
          )
        ).rows;
        result = inserted && { message: toMessage(inserted), created: true };
      }
      await client.query('COMMIT');
      client.release();
      return result;
    } catch (err) {
      // A connection that failed mid-transaction may be broken: it leaves the pool.
      await client.query('ROLLBACK').catch(() => undefined);
      client.release(err instanceof Error ? err : true);
      throw err;
    }
  }

  const conversationQueries = conversationSql((n, type) => `$${n}::${type}`);

  /** Conversations as the wire has them, each with its last message (one query for all). */
  async function toWire(rows: ConversationRow[]): Promise<Conversation[]> {
    const withLast = rows.filter((row) => row.last_seq !== null);
    const { rows: lasts } = await pool.query<MessageRow>(
      'SELECT m.* FROM messages m JOIN unnest($1::text[], $2::bigint[]) AS l(room, seq) ON m.room = l.room AND m.seq = l.seq',
      [withLast.map((row) => `conv-${row.id}`), withLast.map((row) => row.last_seq)],
    );
    const byRoom = new Map(lasts.map((row) => [row.room, toMessage(row)]));
    const now = Date.now();
    return rows.map((row) => toConversation(row, byRoom.get(`conv-${row.id}`), now));
  }

  async function one(sql: string, values: unknown[]): Promise<Conversation | undefined> {
    const { rows } = await pool.query<ConversationRow>(sql, values);
    return (await toWire(rows))[0];
  }

  async function updateConversation(id: string, patch: ConversationPatch): Promise<boolean> {
    const { sql, values } = patchSql(id, patch, (n) => `$${n}`);
    try {
      return ((await pool.query(sql, values)).rowCount ?? 0) > 0;
    } catch (err) {
      if ((err as { code?: string }).code === '23505') {
        throw new AppError('conflict', 'The visitor has another open conversation in this inbox.');
      }
      throw err;
    }
  }

  return {
    openConversation: (input) =>
      call(async () => {
        const created = ((await pool.query(conversationQueries.insert, newConversationValues(input))).rowCount ?? 0) > 0;
        const conversation = await one(conversationQueries.current, [input.inbox, input.visitor.id]);
        if (!conversation) throw new Error('no conversation after its insert');
        return { conversation, created };
      }),
    currentConversation: (inbox, visitorId) => call(() => one(conversationQueries.current, [inbox, visitorId])),
    conversation: (id) => call(() => one(conversationQueries.byId, [id])),
    conversations: ({ inbox, status, userId, before, limit, now }) =>
      call(async () => {
        const { rows } = await pool.query<ConversationRow>(conversationQueries.list, [
          inbox,
          now,
          userId,
          before ?? Number.MAX_SAFE_INTEGER,
          limit + 1,
          status,
        ]);
        return { conversations: await toWire(rows.slice(0, limit)), hasMore: rows.length > limit };
      }),
    updateConversation: (id, patch) => call(() => updateConversation(id, patch)),
    append: (input: NewMessage) =>
      call(async () => {
        if (input.attachments) {
          const row = await appendWithFiles(input);
          return { created: row.created, message: toMessage(row.message) };
        }
        const { rows } = await pool.query<{ created: boolean; message: MessageRow }>(APPEND, appendValues(input));
        const row = rows[0];
        if (!row) throw new Error('roomcast_append returned no row');
        return { created: row.created, message: toMessage(row.message) };
      }),
    change: (change) => call(() => applyChange(change)),
    history: (room, query) => call(() => history(room, query)),
    roomSettings: (room) =>
      call(async () => {
        const { rows } = await pool.query<SettingsRow>('SELECT slow_mode_seconds, read_only FROM room_settings WHERE room = $1', [room]);
        return toSettings(rows[0]);
      }),
    configureRoom: (room, { slowModeSeconds, readOnly }) =>
      call(async () => {
        const { rows } = await pool.query<SettingsRow>(
          configureSql((n) => `$${n}::${['text', 'integer', 'boolean'][n - 1]}`),
          [room, slowModeSeconds ?? null, readOnly ?? null],
        );
        return toSettings(rows[0]);
      }),
    addBan: (ban) => call(async () => void (await pool.query(bans.insert, Object.values(toBanRow(ban))))),
    activeBans: (now) => call(async () => (await pool.query<BanRow>(bans.active, [now])).rows.map(toBan)),
    liftBan: (id, now) =>
      call(async () => {
        const [row] = (await pool.query<BanRow>(bans.lift, [id, now])).rows;
        return row && toBan(row);
      }),
    addAudit: (entry) => call(async () => toAuditEntry((await pool.query<AuditRow>(auditInsert, auditValues(entry))).rows[0] as AuditRow)),
    audit: ({ after, limit, room }) =>
      call(async () => {
        const { rows } = await pool.query<AuditRow>(auditPage, [after ?? 0, room ?? null, limit + 1]);
        return { entries: rows.slice(0, limit).map(toAuditEntry), hasMore: rows.length > limit };
      }),
    putAttachment: (file, data) => call(async () => void (await pool.query(files.insert, attachmentValues(file, data)))),
    attachments: (ids) =>
      call(async () => {
        const { rows } = await pool.query<AttachmentRow>(files.meta.replace('= $1', '= ANY($1)'), [ids]);
        return rows.map(toStoredAttachment);
      }),
    attachmentData: (id) =>
      call(async () => {
        const [row] = (await pool.query<AttachmentRow & { data: Buffer }>(files.data, [id])).rows;
        return row && { file: toStoredAttachment(row), data: row.data };
      }),
    sweepAttachments: (before) =>
      call(async () => (await pool.query('DELETE FROM attachments WHERE NOT sent AND created_at < $1', [before])).rowCount ?? 0),
    lastSeqs: (rooms) =>
      call(async () => {
        const { rows } = await pool.query<{ name: string; last_seq: string }>('SELECT name, last_seq FROM rooms WHERE name = ANY($1)', [
          rooms,
        ]);
        const found = new Map(rows.map((r) => [r.name, Number(r.last_seq)]));
        return new Map(rooms.map((room) => [room, found.get(room) ?? 0]));
      }),
    recentRooms: (limit) =>
      call(async () => {
        const { rows } = await pool.query<{ room: string; last_seq: string; ts: string }>(
          `SELECT r.name AS room, r.last_seq, m.ts FROM rooms r JOIN messages m ON m.room = r.name AND m.seq = r.last_seq
           WHERE ${listedSql('r.name')} ORDER BY m.ts DESC, r.name LIMIT $1`,
          [limit],
        );
        return rows.map((r) => ({ room: r.room, lastSeq: Number(r.last_seq), lastActivity: Number(r.ts) }));
      }),
    markRead: (room, userId, seq) =>
      call(async () => {
        const { rows } = await pool.query<{ last_seq: string | null; moved: boolean }>(markRead, [room, userId, seq]);
        const row = rows[0];
        if (!row || row.last_seq === null || seq > Number(row.last_seq)) return 'beyond';
        return row.moved ? 'moved' : 'kept';
      }),
    readPositions: (room, userIds) =>
      call(async () => {
        const { rows } = await pool.query<{ user_id: string; seq: string }>(
          'SELECT user_id, seq FROM room_reads WHERE room = $1 AND user_id = ANY($2)',
          [room, userIds],
        );
        return new Map(rows.map((r) => [r.user_id, Number(r.seq)]));
      }),
    secret: (name) =>
      call(async () => {
        await pool.query('INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
          name,
          randomBytes(32).toString('base64url'),
        ]);
        const { rows } = await pool.query<{ value: string }>('SELECT value FROM secrets WHERE name = $1', [name]);
        return (rows[0] as { value: string }).value;
      }),
    check: () => call(async () => void (await pool.query('SELECT 1'))),
    close: async () => {
      await Promise.allSettled(inFlight);
      await pool.end();
    },
  };
}

/** Applies what is new, one node at a time (an advisory lock), each step in its own transaction. */
async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock(hashtext('roomcast:migrations'))");
    await client.query('CREATE TABLE IF NOT EXISTS roomcast_migrations (version integer PRIMARY KEY)');
    const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM roomcast_migrations');
    for (let i = rows[0]?.version ?? 0; i < migrations.length; i++) {
      await client.query('BEGIN');
      await client.query(migrations[i] as string);
      await client.query('INSERT INTO roomcast_migrations (version) VALUES ($1)', [i + 1]);
      await client.query('COMMIT');
    }
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtext('roomcast:migrations'))").catch(() => undefined);
    client.release();
  }
}
