import type {
  ConfigureRequest,
  DeleteRequest,
  KickRequest,
  RoomRemovedEvent,
  RoomSettings,
  RoomSettingsEvent,
} from './moderation/schemas.js';

/**
 * The roomcast wire contract v1 as types (docs/protocol.md is the prose). Type-only: the server
 * uses it with `Namespace<ChatClientToServer, ChatServerToClient>`, the web components with the
 * generics swapped, so the two cannot drift.
 */

/** The closed set of error codes, in acks, HTTP bodies and `connect_error.data`. */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'invalid_token'
  | 'token_expired'
  | 'guests_disabled'
  | 'forbidden'
  | 'not_found'
  | 'rate_limited'
  | 'too_large'
  | 'conflict'
  | 'unavailable'
  | 'internal';

export interface ErrorBody {
  code: ErrorCode;
  /** A sentence for people; never parse it. */
  message: string;
  /** With `rate_limited`: how long to wait before trying again. */
  retryAfterMs?: number;
  /** With a ban's `forbidden`: when the ban ends, ms since the epoch; absent for a ban for good. */
  until?: number;
}

/** Every acknowledgement is called exactly once with one of these. */
export type AckResult<T> = ({ ok: true } & T) | { ok: false; error: ErrorBody };
export type Ack<T> = (result: AckResult<T>) => void;

export interface Member {
  id: string;
  name: string;
  kind: 'user' | 'guest' | 'system';
}

export interface Message {
  /** `<room>:<seq>`, unique across rooms, otherwise opaque. */
  id: string;
  /** The room's gap-free sequence number: 1, 2, 3, ... */
  seq: number;
  room: string;
  text: string;
  author: Member;
  clientId?: string;
  /** Server time, ms since the epoch. */
  ts: number;
  /**
   * A change entry rather than a message (protocol 6.4): `delete` deletes the message `target`.
   * A client ignores entries of a type it does not know.
   */
  type?: 'delete';
  /** The seq a change entry changes. */
  target?: number;
  /** The message was deleted: its text is empty. */
  deleted?: true;
}

/** Handshake `auth` object, both namespaces. */
export interface HandshakeAuth {
  /** A user JWT; `null` is the same as none (protocol 6.1). */
  token?: string | null;
  name?: string;
  session?: string;
}

export interface SessionEvent {
  user: Member;
  session: string;
  /** The token's `admin: true`: moderates every room (protocol 6.4). */
  admin?: true;
  /** The rooms the token's `moderates` claim lists (`*` for every room). */
  moderates?: string[];
}

export interface JoinRequest {
  room: string;
  after?: number;
  limit?: number;
}
export interface JoinResult {
  room: string;
  messages: Message[];
  members: Member[];
  lastSeq: number;
  hasMore: boolean;
  /**
   * The room's epoch (v1.1), shared by every room of the database: it changes exactly when the
   * numbering restarts (a new database). A client that sees a new epoch drops its cursor and its
   * de-duplication state for the room and resyncs.
   */
  epoch: string;
  /** The room's slow mode and read-only setting (protocol 6.4). */
  settings: RoomSettings;
}

export interface LeaveRequest {
  room: string;
}

export interface SendRequest {
  room: string;
  text: string;
  clientId: string;
}
export interface SendResult {
  message: Message;
}

export interface HistoryRequest {
  room: string;
  before?: number;
  after?: number;
  limit?: number;
}
export interface HistoryResult {
  messages: Message[];
  hasMore: boolean;
  /** The room's epoch (v1.1), as in `JoinResult`. */
  epoch: string;
}

export interface TypingRequest {
  room: string;
  typing: boolean;
}
export interface TypingEvent {
  room: string;
  user: Member;
  typing: boolean;
}

/**
 * A room's presence changes since the last event (v1.1: a node sends at most one per room per
 * 200 ms). One change: `joined` or `left`, as in v1. Several: `joins` and `leaves`, both present,
 * each in the order it happened; a user who joined and left within the window is in both.
 */
export interface PresenceEvent {
  room: string;
  joined?: Member;
  left?: Member;
  /** Several changes coalesced: who is in now and was not before. */
  joins?: Member[];
  /** Several changes coalesced: who was in before and is not now. */
  leaves?: Member[];
  /** Distinct users in the room after these changes; several tabs of one user count once. */
  count: number;
}

export interface DrainingEvent {
  retryInMs: number;
}

/**
 * Sent to the one socket whose event, sent without an ack, failed (protocol 6.1): what an ack
 * would have said. Events with an ack are answered in their ack instead; `typing:update` never.
 */
export interface RequestFailedEvent {
  /** The event's name as sent. */
  event: string;
  /** The payload's `clientId`, when it had one: which send failed. */
  clientId?: string;
  error: ErrorBody;
}

export interface ChatClientToServer {
  'room:join': (req: JoinRequest, ack: Ack<JoinResult>) => void;
  'room:leave': (req: LeaveRequest, ack: Ack<object>) => void;
  'message:send': (req: SendRequest, ack: Ack<SendResult>) => void;
  'message:history': (req: HistoryRequest, ack: Ack<HistoryResult>) => void;
  'typing:update': (req: TypingRequest) => void;
  /** Protocol 6.4: by the author or a moderator of the room; acks the `delete` entry. */
  'message:delete': (req: DeleteRequest, ack: Ack<SendResult>) => void;
  /** Protocol 6.4: by a moderator of the room. */
  'room:kick': (req: KickRequest, ack: Ack<object>) => void;
  /** Protocol 6.4: by a moderator of the room; also broadcast to the room as `room:settings`. */
  'room:configure': (req: ConfigureRequest, ack: Ack<{ settings: RoomSettings }>) => void;
}

/**
 * Sent when this node may have missed broadcasts from other nodes (its Redis subscription was
 * down): clients catch up by cursor (`message:history` with `after`, `push:subscribe` with `after`).
 */
export type SyncHintEvent = Record<string, never>;

export interface ChatServerToClient {
  session: (event: SessionEvent) => void;
  'sync:hint': (event: SyncHintEvent) => void;
  'message:new': (message: Message) => void;
  'typing:update': (event: TypingEvent) => void;
  'presence:update': (event: PresenceEvent) => void;
  'server:draining': (event: DrainingEvent) => void;
  'request:failed': (event: RequestFailedEvent) => void;
  /** Protocol 6.4: the socket is no longer in the room (kicked, banned). */
  'room:removed': (event: RoomRemovedEvent) => void;
  /** Protocol 6.4: the room's settings changed. */
  'room:settings': (event: RoomSettingsEvent) => void;
}

/** `GET /api/rooms` */
export interface RoomSummary {
  room: string;
  /** Distinct users in the room, as `presence:update`'s `count`. */
  count: number;
  /**
   * @deprecated The same number as `count`, kept for v1 clients; read `count`. Everywhere else
   * `members` is a list of `Member`.
   */
  members: number;
  lastSeq: number;
}

/** A push to a topic, numbered 1, 2, 3, ... per topic with no gap. */
export interface Push {
  /** `<topic>:<seq>`, otherwise opaque. */
  id: string;
  seq: number;
  topic: string;
  /** The application's event name, e.g. `message` or `live`. */
  event: string;
  data: unknown;
  /** Server time, ms since the epoch. */
  ts: number;
}

export interface SubscribeRequest {
  topic: string;
  /** The last seq the client holds: the ack brings the retained pushes after it. */
  after?: number;
}
export interface SubscribeResult {
  topic: string;
  missed: Push[];
  lastSeq: number;
  /** Some pushes after `after` are no longer retained: the client has a gap it cannot fill. */
  truncated?: true;
  /**
   * The topic's epoch (v1.1): it changes exactly when the topic's numbering restarts (the
   * in-memory log after a restart, Redis after losing the topic's keys). A client that sees a new
   * epoch drops its cursor and its de-duplication state for the topic and resyncs (`missed` was
   * chosen by an `after` of the old numbering).
   */
  epoch: string;
}

export interface UnsubscribeRequest {
  topic: string;
}

export interface PushClientToServer {
  'push:subscribe': (req: SubscribeRequest, ack: Ack<SubscribeResult>) => void;
  'push:unsubscribe': (req: UnsubscribeRequest, ack: Ack<object>) => void;
}

export interface PushServerToClient {
  session: (event: SessionEvent) => void;
  'sync:hint': (event: SyncHintEvent) => void;
  'push:new': (push: Push) => void;
  'server:draining': (event: DrainingEvent) => void;
  'request:failed': (event: RequestFailedEvent) => void;
}

/** What roomcast itself pushes to `room:<room>` for every new chat message. */
export interface MessagePushData {
  room: string;
  seq: number;
  author: Member;
  /** The text's first 100 characters. */
  preview: string;
}

/** What the live-data timer pushes (event `live`) to `room:<room>` every 2 s. */
export interface LivePushData {
  /** Server time, ISO 8601. */
  time: string;
  /** The node's name (NODE_NAME). */
  node: string;
  /** Sockets connected to this node. */
  connections: number;
}

/** Pushed once (event `live.end`) to `room:<room>` when live data stops at its deadline. */
export interface LiveEndData {
  /** The deadline that passed, ms since the epoch. */
  until: number;
}

/** `POST /api/rooms/:room/live` answer (202). */
export interface LiveResult {
  ok: true;
  /** When the pushes stop unless extended, ms since the epoch. */
  until: number;
}
