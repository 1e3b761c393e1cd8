import type { Member, Message } from '../protocol.js';

export interface NewMessage {
  room: string;
  text: string;
  author: Member;
  clientId?: string;
  /** The message's ts; default the time of the call. */
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
  history(room: string, query: HistoryQuery): Promise<Page>;
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
  return message;
}
