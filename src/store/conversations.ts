import type { Conversation, InboxListStatus, Member, Message } from '../protocol.js';

/**
 * Support conversations (protocol 6.5) as both SQL stores keep them. Only what staff set is
 * stored (status, snooze, assignee, e-mail); what the messages and reads say (the last message,
 * unread, waiting since) is read from them each time, so every node agrees without a counter to
 * keep in step.
 */
export interface ConversationRow {
  id: string;
  inbox: string;
  visitor_id: string;
  visitor_name: string;
  visitor_kind: Member['kind'];
  email: string | null;
  status: 'open' | 'snoozed' | 'closed';
  snoozed_until: number | string | null;
  assignee_id: string | null;
  assignee_name: string | null;
  assignee_kind: Member['kind'] | null;
  created_at: number | string;
  updated_at: number | string;
  /** Derived: the seq of the newest message (not change entry), null when none. */
  last_seq: number | string | null;
  unread: number | string;
  waiting_since: number | string | null;
}

/** A new conversation. */
export interface NewConversation {
  id: string;
  inbox: string;
  visitor: Member;
  email?: string;
  now: number;
}

/** What a staff action or a message changes; `updatedAt` always. Absent fields stay as they are. */
export interface ConversationPatch {
  status?: 'open' | 'snoozed' | 'closed';
  /** With `status: 'snoozed'`: the end, or null for "until the visitor's next message". */
  snoozedUntil?: number | null;
  assignee?: Member | null;
  email?: string;
  updatedAt: number;
  /** Only if the conversation has no assignee (the first staff reply assigns). */
  ifUnassigned?: true;
  /** Only if it is not open (a visitor's message reopens). */
  ifNotOpen?: true;
}

export interface ConversationQuery {
  inbox: string;
  status: InboxListStatus;
  /** The caller, for `mine`. */
  userId: string;
  before?: number;
  limit: number;
  now: number;
}

export const conversationMigration = (types: { text: string; int: string }) => `
  CREATE TABLE conversations (
    id ${types.text} PRIMARY KEY,
    inbox ${types.text} NOT NULL,
    visitor_id ${types.text} NOT NULL,
    visitor_name ${types.text} NOT NULL,
    visitor_kind ${types.text} NOT NULL,
    email ${types.text},
    status ${types.text} NOT NULL,
    snoozed_until ${types.int},
    assignee_id ${types.text},
    assignee_name ${types.text},
    assignee_kind ${types.text},
    created_at ${types.int} NOT NULL,
    updated_at ${types.int} NOT NULL
  );
  CREATE UNIQUE INDEX conversations_current ON conversations (inbox, visitor_id) WHERE status <> 'closed';
  CREATE INDEX conversations_list ON conversations (inbox, updated_at);`;

/**
 * The derived columns. Unread: the visitor's messages after the furthest read position of anyone
 * else in the room, who can only be staff or admins (access.ts). Waiting since: the visitor's first
 * message after the last message of anyone else.
 */
const derived = `c.*,
  (SELECT max(m.seq) FROM messages m WHERE m.room = 'conv-' || c.id AND m.type IS NULL) AS last_seq,
  (SELECT count(*) FROM messages m WHERE m.room = 'conv-' || c.id AND m.type IS NULL AND m.author_id = c.visitor_id
     AND m.seq > coalesce((SELECT max(r.seq) FROM room_reads r WHERE r.room = 'conv-' || c.id AND r.user_id <> c.visitor_id), 0)) AS unread,
  (SELECT min(m.ts) FROM messages m WHERE m.room = 'conv-' || c.id AND m.type IS NULL AND m.author_id = c.visitor_id
     AND m.seq > coalesce((SELECT max(s.seq) FROM messages s WHERE s.room = 'conv-' || c.id AND s.type IS NULL
                           AND s.author_id <> c.visitor_id), 0)) AS waiting_since`;

/**
 * Both stores' queries; `param(n, type)` writes the n-th parameter. The list takes: inbox, now,
 * user id, before, limit, status.
 */
export function conversationSql(param: (n: number, type: 'text' | 'bigint' | 'integer') => string) {
  const now = param(2, 'bigint');
  const status = param(6, 'text');
  const open = `(c.status = 'open' OR (c.status = 'snoozed' AND c.snoozed_until <= ${now}))`;
  return {
    insert: `INSERT INTO conversations (id, inbox, visitor_id, visitor_name, visitor_kind, email, status, created_at, updated_at)
      VALUES (${param(1, 'text')}, ${param(2, 'text')}, ${param(3, 'text')}, ${param(4, 'text')}, ${param(5, 'text')},
              ${param(6, 'text')}, 'open', ${param(7, 'bigint')}, ${param(7, 'bigint')})
      ON CONFLICT DO NOTHING`,
    byId: `SELECT ${derived} FROM conversations c WHERE c.id = ${param(1, 'text')}`,
    current: `SELECT ${derived} FROM conversations c
      WHERE c.inbox = ${param(1, 'text')} AND c.visitor_id = ${param(2, 'text')} AND c.status <> 'closed'`,
    list: `SELECT ${derived} FROM conversations c
      WHERE c.inbox = ${param(1, 'text')} AND c.updated_at < ${param(4, 'bigint')} AND (
        (${status} = 'closed' AND c.status = 'closed')
        OR (${status} = 'snoozed' AND c.status = 'snoozed' AND (c.snoozed_until IS NULL OR c.snoozed_until > ${now}))
        OR (${status} = 'open' AND ${open})
        OR (${status} = 'mine' AND ${open} AND c.assignee_id = ${param(3, 'text')})
        OR (${status} = 'unassigned' AND ${open} AND c.assignee_id IS NULL))
      ORDER BY c.updated_at DESC, c.id DESC LIMIT ${param(5, 'integer')}`,
  };
}

/**
 * A patch as an UPDATE: its SET list and WHERE conditions, with values in order; `param(n)` writes
 * the n-th parameter (the id is the first).
 */
export function patchSql(id: string, patch: ConversationPatch, param: (n: number) => string): { sql: string; values: unknown[] } {
  const values: unknown[] = [id];
  const set: string[] = [];
  const add = (column: string, value: unknown) => {
    values.push(value);
    set.push(`${column} = ${param(values.length)}`);
  };
  if (patch.status !== undefined) add('status', patch.status);
  if (patch.status !== undefined && patch.status !== 'snoozed') add('snoozed_until', null);
  else if (patch.snoozedUntil !== undefined) add('snoozed_until', patch.snoozedUntil);
  if (patch.assignee !== undefined) {
    add('assignee_id', patch.assignee?.id ?? null);
    add('assignee_name', patch.assignee?.name ?? null);
    add('assignee_kind', patch.assignee?.kind ?? null);
  }
  if (patch.email !== undefined) add('email', patch.email);
  add('updated_at', patch.updatedAt);
  const where = [`id = ${param(1)}`];
  if (patch.ifUnassigned) where.push('assignee_id IS NULL');
  if (patch.ifNotOpen) where.push("status <> 'open'");
  return { sql: `UPDATE conversations SET ${set.join(', ')} WHERE ${where.join(' AND ')}`, values };
}

/** A conversation as the wire has it; a snooze that has run out reads `open`. */
export function toConversation(row: ConversationRow, lastMessage: Message | undefined, now: number): Conversation {
  const snoozedUntil = row.snoozed_until === null ? undefined : Number(row.snoozed_until);
  const running = row.status === 'snoozed' && (snoozedUntil === undefined || snoozedUntil > now);
  const conversation: Conversation = {
    room: `conv-${row.id}`,
    notes: `note-${row.id}`,
    inbox: row.inbox,
    visitor: { id: row.visitor_id, name: row.visitor_name, kind: row.visitor_kind },
    status: row.status === 'snoozed' && !running ? 'open' : row.status,
    unread: Number(row.unread),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
  if (row.email !== null) conversation.email = row.email;
  if (running && snoozedUntil !== undefined) conversation.snoozedUntil = snoozedUntil;
  if (row.assignee_id !== null) {
    conversation.assignee = { id: row.assignee_id, name: row.assignee_name ?? row.assignee_id, kind: row.assignee_kind ?? 'user' };
  }
  if (lastMessage) conversation.lastMessage = lastMessage;
  if (row.waiting_since !== null) conversation.waitingSince = Number(row.waiting_since);
  return conversation;
}

/** The values of `conversationSql().insert`, in order. */
export function newConversationValues({ id, inbox, visitor, email, now }: NewConversation): unknown[] {
  return [id, inbox, visitor.id, visitor.name, visitor.kind, email ?? null, now];
}
