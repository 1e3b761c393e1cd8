import { defaultRoomSettings, type RoomSettings, type SettingsPatch } from '../moderation/schemas.js';
import type { Member, Message } from '../protocol.js';

export interface NewMessage {
  room: string;
  text: string;
  author: Member;
  clientId?: string;
  /** The message's ts; default the time of the call. */
  ts?: number;
  /** A change entry (protocol 6.4): what it changes, e.g. `delete` with the seq it deletes. */
  change?: { type: 'delete'; target: number };
}

/** A `delete` entry to store: who deletes which seq of the room. */
export interface Deletion {
  room: string;
  seq: number;
  author: Member;
  ts?: number;
}

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
   * Deletes a message as a change entry (protocol 6.4): blanks the target, marks it deleted and
   * stores a `delete` entry with the room's next seq, in one transaction. A target deleted before
   * returns the entry that deleted it (`created: false`); undefined when the seq is no message of
   * the room (none, or a change entry).
   */
  deleteMessage(deletion: Deletion): Promise<AppendResult | undefined>;
  history(room: string, query: HistoryQuery): Promise<Page>;
  /** A room's settings; the defaults for a room never configured. */
  roomSettings(room: string): Promise<RoomSettings>;
  /** Changes what the patch names, keeps the rest; returns the settings now. */
  configureRoom(room: string, patch: SettingsPatch): Promise<RoomSettings>;
  /** The newest seq of each room asked for (0 for a room with no message). */
  lastSeqs(rooms: readonly string[]): Promise<Map<string, number>>;
  /**
   * A random value made once with the database and kept, so every node and restart shares it:
   * secrets, and the rooms' epoch (`room-epoch`), which is public.
   */
  secret(name: string): Promise<string>;
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
  client_id: string | null;
  ts: number;
  /** A change entry's type (`delete`); null for a message. */
  type: string | null;
  target: number | null;
  /** 0 or 1 in SQLite, a boolean in PostgreSQL. */
  deleted: number | boolean;
}

export function toMessage(row: MessageRow): Message {
  const message: Message = {
    id: `${row.room}:${row.seq}`,
    seq: Number(row.seq),
    room: row.room,
    text: row.text,
    author: { id: row.author_id, name: row.author_name, kind: row.author_kind },
    ts: Number(row.ts),
  };
  if (row.client_id !== null) message.clientId = row.client_id;
  if (row.type === 'delete' && row.target !== null) {
    message.type = row.type;
    message.target = Number(row.target);
  }
  if (row.deleted) message.deleted = true;
  return message;
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
