import {
  type AuditEntry,
  type AuditQuery,
  type Ban,
  defaultRoomSettings,
  type RoomSettings,
  type SettingsPatch,
} from '../moderation/schemas.js';
import type { Attachment, Conversation, Member, Message, RecentRoom } from '../protocol.js';
import type { ConversationPatch, ConversationQuery, NewConversation } from './conversations.js';

export interface NewMessage {
  room: string;
  text: string;
  author: Member;
  clientId?: string;
  /** The message's ts; default the time of the call. */
  ts?: number;
  /** The seq of the message this one answers (protocol 6.3). */
  replyTo?: number;
  /** Files sent with the message, stored with it (issue 13 point 4). */
  attachments?: Attachment[];
}

/** An uploaded file as the store keeps it (issue 13 point 4), without its bytes. */
export interface StoredAttachment {
  id: string;
  room: string;
  /** Who uploaded it: only they may send it. */
  ownerId: string;
  name: string;
  type: string;
  size: number;
  width?: number;
  height?: number;
  createdAt: number;
}

/** What a change entry does to its target (protocol 6.3). */
export type ChangeKind = { type: 'delete' } | { type: 'edit'; text: string } | { type: 'reaction'; emoji: string; on: boolean };

/** A change entry to store: who changes which seq of the room, and how. */
export type Change = ChangeKind & {
  room: string;
  seq: number;
  author: Member;
  /** The entry's ts (and an edit's `editedAt`); default the time of the call. */
  ts?: number;
};

/** What `markRead` did. */
export type ReadMark = 'moved' | 'kept' | 'beyond';

export interface AppendResult {
  message: Message;
  /** False when the clientId was seen before and `message` is the first one. */
  created: boolean;
}

export interface HistoryQuery {
  /** Only messages with a smaller seq; the newest `limit` of them. */
  before?: number;
  /** Only messages with a larger seq; the oldest `limit` of them. */
  after?: number;
  limit: number;
}

export interface Page {
  /** Oldest first. */
  messages: Message[];
  /** More messages match the query beyond this page. */
  hasMore: boolean;
}

/**
 * Where rooms and messages live. SQLite now, PostgreSQL later: both give each room a gap-free seq
 * (1, 2, 3, ...) and make `append` idempotent on (room, author id, clientId).
 */
export interface Store {
  /** Stores a message with the room's next seq; a repeated clientId returns the first one. */
  append(input: NewMessage): Promise<AppendResult>;
  /**
   * Changes a message by a change entry (protocol 6.3): updates the target (an edit's text and
   * `editedAt`, a reaction's users, a delete blanks it) and stores the entry with the room's next
   * seq, in one transaction. Nothing is stored (`created: false`) when nothing would change: a
   * reaction already so returns the target as it is; a delete of a deleted message returns the
   * entry that deleted it. Undefined when the seq is no message of the room (none, or a change
   * entry), or for an edit or reaction of a deleted message.
   */
  change(change: Change): Promise<AppendResult | undefined>;
  history(room: string, query: HistoryQuery): Promise<Page>;
  /** A room's settings; the defaults for a room never configured. */
  roomSettings(room: string): Promise<RoomSettings>;
  /** Changes what the patch names, keeps the rest; returns the settings now. */
  configureRoom(room: string, patch: SettingsPatch): Promise<RoomSettings>;
  addBan(ban: Ban): Promise<void>;
  /** The bans in force at `now`, newest first. */
  activeBans(now: number): Promise<Ban[]>;
  /** Lifts a ban in force; undefined when there is none with that id (unknown, lifted, over). */
  liftBan(id: string, now: number): Promise<Ban | undefined>;
  /** Records a moderation action; returns it with its id. */
  addAudit(entry: Omit<AuditEntry, 'id'>): Promise<AuditEntry>;
  /** The audit log oldest first after the entry `after`, at most `limit`, of one room or all. */
  audit(query: AuditQuery & { limit: number }): Promise<{ entries: AuditEntry[]; hasMore: boolean }>;
  /** Stores an uploaded file and its bytes. */
  putAttachment(file: StoredAttachment, data: Buffer): Promise<void>;
  /** The files of these ids that exist, without their bytes. */
  attachments(ids: readonly string[]): Promise<StoredAttachment[]>;
  /** A file with its bytes; undefined for an unknown id. */
  attachmentData(id: string): Promise<{ file: StoredAttachment; data: Buffer } | undefined>;
  /** Deletes the files uploaded before `before` that no message carries; returns how many. */
  sweepAttachments(before: number): Promise<number>;
  /** The newest seq of each room asked for (0 for a room with no message). */
  lastSeqs(rooms: readonly string[]): Promise<Map<string, number>>;
  /** The listed rooms (room-listing.ts: not private rooms nor conversations) with history, the most recently active first: newest seq and its time. */
  recentRooms(limit: number): Promise<RecentRoom[]>;
  /**
   * Moves a user's read position in a room forward to `seq` (protocol 6.3): `moved`, `kept` (the
   * one stored is as far or further: a position never goes back), or `beyond` (past the room's
   * last seq: nothing stored).
   */
  markRead(room: string, userId: string, seq: number): Promise<ReadMark>;
  /** The read positions in a room of the users asked for who have one. */
  readPositions(room: string, userIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * A random value made once with the database and kept, so every node and restart shares it:
   * secrets, and the rooms' epoch (`room-epoch`), which is public.
   */
  secret(name: string): Promise<string>;
  /**
   * Protocol 6.5: creates the visitor's conversation in the inbox unless one not closed exists
   * (one at most, on every node); returns the one not closed and whether it is the new one.
   */
  openConversation(input: NewConversation): Promise<{ conversation: Conversation; created: boolean }>;
  /** The visitor's conversation in the inbox that is not closed. */
  currentConversation(inbox: string, visitorId: string): Promise<Conversation | undefined>;
  /** A conversation by its id (its room less `conv-`). */
  conversation(id: string): Promise<Conversation | undefined>;
  /** An inbox's conversations, most recently updated first. */
  conversations(query: ConversationQuery): Promise<{ conversations: Conversation[]; hasMore: boolean }>;
  /**
   * Changes a conversation; false when there is none or its condition (`ifUnassigned`,
   * `ifNotOpen`) does not hold. Reopening one whose visitor has another open: `conflict`.
   */
  updateConversation(id: string, patch: ConversationPatch): Promise<boolean>;
  /** Throws when the store cannot answer (readiness). */
  check(): Promise<void>;
  close(): Promise<void>;
}

/** A message as both SQL stores keep it. */
export interface MessageRow {
  room: string;
  seq: number;
  text: string;
  author_id: string;
  author_name: string;
  author_kind: Member['kind'];
  /** The author is staff of the conversation's inbox (protocol 6.5): 0/1 in SQLite, a boolean in PostgreSQL. */
  author_staff?: number | boolean;
  client_id: string | null;
  ts: number;
  /** A change entry's type (`edit`, `delete`, `reaction`); null for a message. */
  type: string | null;
  target: number | null;
  /** 0 or 1 in SQLite, a boolean in PostgreSQL. */
  deleted: number | boolean;
  /** A `reaction` entry's emoji and whether it is on (0/1 or a boolean). */
  emoji: string | null;
  reaction_on: number | boolean | null;
  reply_to: number | null;
  edited_at: number | null;
  /** A message's reactions as JSON text, `{ [emoji]: userId[] }`; null when none. */
  reactions: string | null;
  /** The message's attachments as JSON text, or null. */
  attachments?: string | null;
}

const changeTypes = new Set(['edit', 'delete', 'reaction']);

export function toMessage(row: MessageRow): Message {
  const message: Message = {
    id: `${row.room}:${row.seq}`,
    seq: Number(row.seq),
    room: row.room,
    text: row.text,
    author: { id: row.author_id, name: row.author_name, kind: row.author_kind, ...(row.author_staff ? { staff: true as const } : {}) },
    ts: Number(row.ts),
  };
  if (row.client_id !== null) message.clientId = row.client_id;
  if (row.type !== null && changeTypes.has(row.type) && row.target !== null) {
    message.type = row.type as NonNullable<Message['type']>;
    message.target = Number(row.target);
    if (row.type === 'reaction') {
      message.emoji = row.emoji ?? '';
      message.on = Boolean(row.reaction_on);
    }
  }
  if (row.reply_to != null) message.replyTo = Number(row.reply_to);
  if (row.edited_at != null) message.editedAt = Number(row.edited_at);
  if (row.reactions != null) message.reactions = JSON.parse(row.reactions) as Record<string, string[]>;
  if (row.deleted) message.deleted = true;
  // A deleted message shows none of its files (their bytes stay stored, see docs/security.md).
  else if (row.attachments) message.attachments = JSON.parse(row.attachments) as Attachment[];
  return message;
}

/** What a change does to its target's row, in both stores. */
export type ChangePlan =
  /** No message of the room (none, or a change entry), or an edit or reaction of a deleted one. */
  | { kind: 'missing' }
  /** A delete of a deleted message: the entry that deleted it is the answer. */
  | { kind: 'deleted' }
  /** A reaction already so: nothing to store. */
  | { kind: 'unchanged' }
  /** The target's new values, and the entry's row less room, seq and author. */
  | {
      kind: 'apply';
      target: Pick<MessageRow, 'text' | 'deleted' | 'edited_at' | 'reactions'>;
      entry: Pick<MessageRow, 'text' | 'type' | 'target' | 'emoji' | 'reaction_on' | 'ts'>;
    };

/** Works out a change on its target's row; `ts` is the entry's time. */
export function planChange(row: MessageRow | undefined, change: Change, ts: number): ChangePlan {
  if (!row || row.type !== null) return { kind: 'missing' };
  if (row.deleted) return { kind: change.type === 'delete' ? 'deleted' : 'missing' };
  const entry = { text: '', type: change.type, target: Number(row.seq), emoji: null, reaction_on: null, ts };
  const target = { text: row.text, deleted: row.deleted, edited_at: row.edited_at, reactions: row.reactions };
  switch (change.type) {
    case 'delete':
      return { kind: 'apply', target: { text: '', deleted: true, edited_at: null, reactions: null }, entry };
    case 'edit':
      return { kind: 'apply', target: { ...target, text: change.text, edited_at: ts }, entry: { ...entry, text: change.text } };
    case 'reaction': {
      const reactions = row.reactions === null ? {} : (JSON.parse(row.reactions) as Record<string, string[]>);
      const users = reactions[change.emoji] ?? [];
      if (users.includes(change.author.id) === change.on) return { kind: 'unchanged' };
      if (change.on) reactions[change.emoji] = [...users, change.author.id];
      else if (users.length > 1) reactions[change.emoji] = users.filter((id) => id !== change.author.id);
      else delete reactions[change.emoji];
      const json = Object.keys(reactions).length > 0 ? JSON.stringify(reactions) : null;
      return {
        kind: 'apply',
        target: { ...target, reactions: json },
        entry: { ...entry, emoji: change.emoji, reaction_on: change.on },
      };
    }
  }
}

/** An uploaded file as both SQL stores keep it (without `data`). */
export interface AttachmentRow {
  id: string;
  room: string;
  owner_id: string;
  name: string;
  type: string;
  size: number | string;
  width: number | null;
  height: number | null;
  created_at: number | string;
}

export function toStoredAttachment(row: AttachmentRow): StoredAttachment {
  const file: StoredAttachment = {
    id: row.id,
    room: row.room,
    ownerId: row.owner_id,
    name: row.name,
    type: row.type,
    size: Number(row.size),
    createdAt: Number(row.created_at),
  };
  if (row.width !== null) file.width = Number(row.width);
  if (row.height !== null) file.height = Number(row.height);
  return file;
}

/** A file's values in the order of `attachmentSql().insert`'s parameters, its bytes last. */
export function attachmentValues(file: StoredAttachment, data: Buffer): unknown[] {
  const { id, room, ownerId, name, type, size, width, height, createdAt } = file;
  return [id, room, ownerId, name, type, size, width ?? null, height ?? null, createdAt, data];
}

/** Both stores' queries of files; `param(n)` writes the n-th parameter. */
export function attachmentSql(param: (n: number) => string) {
  const columns = 'id, room, owner_id, name, type, size, width, height, created_at';
  return {
    insert: `INSERT INTO attachments (${columns}, data) VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(param).join(', ')})`,
    meta: `SELECT ${columns} FROM attachments WHERE id = ${param(1)}`,
    data: `SELECT ${columns}, data FROM attachments WHERE id = ${param(1)}`,
  };
}

/** Room settings as both SQL stores keep them. */
export interface SettingsRow {
  slow_mode_seconds: number;
  read_only: number | boolean;
}

export function toSettings(row: SettingsRow | undefined): RoomSettings {
  return row ? { slowModeSeconds: Number(row.slow_mode_seconds), readOnly: Boolean(row.read_only) } : { ...defaultRoomSettings };
}

/**
 * Both stores' upsert of a settings patch: a column the patch leaves out (null) keeps its value,
 * or takes the default in a new row. Parameters: room, slow_mode_seconds, read_only.
 */
export function configureSql(param: (n: number) => string): string {
  return `INSERT INTO room_settings AS s (room, slow_mode_seconds, read_only)
     VALUES (${param(1)}, coalesce(${param(2)}, 0), coalesce(${param(3)}, false))
     ON CONFLICT (room) DO UPDATE SET
       slow_mode_seconds = coalesce(${param(2)}, s.slow_mode_seconds),
       read_only = coalesce(${param(3)}, s.read_only)
     RETURNING slow_mode_seconds, read_only`;
}

/** A ban as both SQL stores keep it. */
export interface BanRow {
  id: string;
  user_id: string | null;
  ip: string | null;
  room: string | null;
  until: number | string | null;
  reason: string | null;
  by_id: string;
  by_name: string;
  by_kind: Member['kind'];
  created_at: number | string;
}

export function toBan(row: BanRow): Ban {
  const ban: Ban = {
    id: row.id,
    by: { id: row.by_id, name: row.by_name, kind: row.by_kind },
    createdAt: Number(row.created_at),
  };
  if (row.user_id !== null) ban.user = row.user_id;
  if (row.ip !== null) ban.ip = row.ip;
  if (row.room !== null) ban.room = row.room;
  if (row.until !== null) ban.until = Number(row.until);
  if (row.reason !== null) ban.reason = row.reason;
  return ban;
}

/** A ban's row, its columns in the order of `banSql().insert`'s parameters. */
export function toBanRow(ban: Ban): BanRow {
  return {
    id: ban.id,
    user_id: ban.user ?? null,
    ip: ban.ip ?? null,
    room: ban.room ?? null,
    until: ban.until ?? null,
    reason: ban.reason ?? null,
    by_id: ban.by.id,
    by_name: ban.by.name,
    by_kind: ban.by.kind,
    created_at: ban.createdAt,
  };
}

/** Both stores' queries of bans; `param(n)` writes the n-th parameter. */
export function banSql(param: (n: number) => string) {
  return {
    insert: `INSERT INTO bans (id, user_id, ip, room, until, reason, by_id, by_name, by_kind, created_at)
      VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(param).join(', ')})`,
    active: `SELECT * FROM bans WHERE lifted_at IS NULL AND (until IS NULL OR until > ${param(1)}) ORDER BY created_at DESC, id`,
    lift: `UPDATE bans SET lifted_at = ${param(2)}
      WHERE id = ${param(1)} AND lifted_at IS NULL AND (until IS NULL OR until > ${param(2)}) RETURNING *`,
  };
}

/** An audit entry as both SQL stores keep it (`target` as JSON text). */
export interface AuditRow {
  id: number | string;
  ts: number | string;
  actor_id: string;
  actor_name: string;
  actor_kind: Member['kind'];
  action: AuditEntry['action'];
  room: string | null;
  target: string;
  reason: string | null;
}

export function toAuditEntry(row: AuditRow): AuditEntry {
  const entry: AuditEntry = {
    id: Number(row.id),
    ts: Number(row.ts),
    actor: { id: row.actor_id, name: row.actor_name, kind: row.actor_kind },
    action: row.action,
    target: JSON.parse(row.target) as AuditEntry['target'],
  };
  if (row.room !== null) entry.room = row.room;
  if (row.reason !== null) entry.reason = row.reason;
  return entry;
}

/** Both stores' audit queries; parameters in the order of `auditValues` and (room?, after, limit). */
export function auditSql(param: (n: number) => string) {
  return {
    insert: `INSERT INTO audit (ts, actor_id, actor_name, actor_kind, action, room, target, reason)
      VALUES (${[1, 2, 3, 4, 5, 6, 7, 8].map(param).join(', ')}) RETURNING *`,
    page: `SELECT * FROM audit WHERE id > ${param(1)} AND (${param(2)} IS NULL OR room = ${param(2)}) ORDER BY id LIMIT ${param(3)}`,
  };
}

/** An entry's values in the order of `auditSql().insert`'s parameters. */
export function auditValues(entry: Omit<AuditEntry, 'id'>): unknown[] {
  const { ts, actor, action, room, target, reason } = entry;
  return [ts, actor.id, actor.name, actor.kind, action, room ?? null, JSON.stringify(target), reason ?? null];
}

/**
 * Both stores' upsert of a read position, from `row` (a `VALUES` or `SELECT` of room, user id,
 * seq): a row comes back only when the position was stored new or moved forward.
 */
export function markReadSql(row: string): string {
  return `INSERT INTO room_reads AS r (room, user_id, seq) ${row}
     ON CONFLICT (room, user_id) DO UPDATE SET seq = excluded.seq WHERE r.seq < excluded.seq
     RETURNING seq`;
}
