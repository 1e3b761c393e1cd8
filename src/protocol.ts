/**
 * The roomcast wire contract as types (docs/protocol.md is the prose). Each payload's type is
 * `Static` of its schema in `src/schemas/`, the schema Ajv validates with and the OpenAPI and
 * AsyncAPI documents publish, so the types, the validation and the documents cannot drift.
 * Type-only, here and in what it imports: the server uses it with `Namespace<ChatClientToServer,
 * ChatServerToClient>`, the web components with the generics swapped, and no schema reaches the
 * browser bundle.
 */

import type { Static } from 'typebox';
import type {
  ConfigureRequest,
  DeleteRequest,
  KickRequest,
  RoomRemovedEvent,
  RoomSettings,
  RoomSettingsEvent,
} from './moderation/schemas.js';
import type * as attachments from './schemas/attachments.js';
import type * as chat from './schemas/chat.js';
import type * as common from './schemas/common.js';
import type * as http from './schemas/http.js';
import type * as inbox from './schemas/inbox.js';
import type * as push from './schemas/push.js';

/** The closed set of error codes, in acks, HTTP bodies and `connect_error.data`. */
export type ErrorCode = Static<typeof common.ErrorCode>;
export type ErrorBody = Static<typeof common.ErrorBody>;

/** Every acknowledgement is called exactly once with one of these. */
export type AckResult<T> = ({ ok: true } & T) | { ok: false; error: ErrorBody };
export type Ack<T> = (result: AckResult<T>) => void;

export type Member = Static<typeof common.Member>;
export type Message = Static<typeof common.Message>;
/** A file a message carries (issue 13 point 4). */
export type Attachment = Static<typeof common.Attachment>;
/** Handshake `auth` object, both namespaces. */
export type HandshakeAuth = Static<typeof common.HandshakeAuth>;
export type SessionEvent = Static<typeof common.SessionEvent>;
export type DrainingEvent = Static<typeof common.DrainingEvent>;
/** What an ack would have said, to the one socket whose event without an ack failed. */
export type RequestFailedEvent = Static<typeof common.RequestFailedEvent>;
/** This node may have missed broadcasts: clients catch up by cursor. */
export type SyncHintEvent = Static<typeof common.SyncHintEvent>;

export type JoinRequest = Static<typeof chat.JoinRequest>;
export type JoinResult = Static<typeof chat.JoinResult>;
export type LeaveRequest = Static<typeof chat.LeaveRequest>;
export type SendRequest = Static<typeof chat.SendRequest>;
export type SendResult = Static<typeof chat.SendResult>;
export type EditRequest = Static<typeof chat.EditRequest>;
export type ReactRequest = Static<typeof chat.ReactRequest>;
export type HistoryRequest = Static<typeof chat.HistoryRequest>;
export type HistoryResult = Static<typeof chat.HistoryResult>;
export type TypingRequest = Static<typeof chat.TypingRequest>;
export type TypingEvent = Static<typeof chat.TypingEvent>;
/** Protocol 6.3: the user has read the room up to `seq`. */
export type ReadRequest = Static<typeof chat.ReadRequest>;
/** Protocol 6.3: a member's read position moved forward. */
export type ReadEvent = Static<typeof chat.ReadEvent>;
/** A room's presence changes since the last event: `joined`/`left`, or `joins` and `leaves`. */
export type PresenceEvent = Static<typeof chat.PresenceEvent>;

export interface ChatClientToServer {
  'room:join': (req: JoinRequest, ack: Ack<JoinResult>) => void;
  'room:leave': (req: LeaveRequest, ack: Ack<object>) => void;
  'message:send': (req: SendRequest, ack: Ack<SendResult>) => void;
  'message:history': (req: HistoryRequest, ack: Ack<HistoryResult>) => void;
  'typing:update': (req: TypingRequest) => void;
  /** Protocol 6.3: moves the user's read position forward; broadcast as `room:read`. */
  'room:read': (req: ReadRequest, ack: Ack<object>) => void;
  /** Protocol 6.4: by the author or a moderator of the room; acks the `delete` entry. */
  'message:delete': (req: DeleteRequest, ack: Ack<SendResult>) => void;
  /** Protocol 6.3: by the author within EDIT_WINDOW_SECONDS or a moderator; acks the `edit` entry. */
  'message:edit': (req: EditRequest, ack: Ack<SendResult>) => void;
  /** Protocol 6.3: by a member in the room; acks the `reaction` entry, or the message as it is when nothing changes. */
  'message:react': (req: ReactRequest, ack: Ack<SendResult>) => void;
  /** Protocol 6.4: by a moderator of the room. */
  'room:kick': (req: KickRequest, ack: Ack<object>) => void;
  /** Protocol 6.4: by a moderator of the room; also broadcast to the room as `room:settings`. */
  'room:configure': (req: ConfigureRequest, ack: Ack<{ settings: RoomSettings }>) => void;
  /** Issue 13 point 4: a short-lived token to upload files to a joined room over HTTP. */
  'upload:token': (req: UploadTokenRequest, ack: Ack<UploadTokenResult>) => void;
  /** Protocol 6.5: the caller's conversation in an inbox that is not closed; created unless `create: false`. */
  'conversation:open': (req: OpenConversationRequest, ack: Ack<OpenConversationResult>) => void;
  /** Protocol 6.5, staff: an inbox's conversations; subscribes the socket to its `inbox:update`. */
  'inbox:list': (req: InboxListRequest, ack: Ack<InboxListResult>) => void;
  /** Protocol 6.5, staff: assign to the caller (no `user`), to a connected staff member, or to nobody (`null`). */
  'conversation:assign': (req: AssignRequest, ack: Ack<ConversationResult>) => void;
  /** Protocol 6.5, staff. */
  'conversation:close': (req: ConversationRoomRequest, ack: Ack<ConversationResult>) => void;
  /** Protocol 6.5, staff. */
  'conversation:reopen': (req: ConversationRoomRequest, ack: Ack<ConversationResult>) => void;
  /** Protocol 6.5, staff: until a time, or the visitor's next message. */
  'conversation:snooze': (req: SnoozeRequest, ack: Ack<ConversationResult>) => void;
}

export interface ChatServerToClient {
  session: (event: SessionEvent) => void;
  'sync:hint': (event: SyncHintEvent) => void;
  'message:new': (message: Message) => void;
  'typing:update': (event: TypingEvent) => void;
  'presence:update': (event: PresenceEvent) => void;
  /** Protocol 6.3: a member's read position moved forward (at most one a second per user and room). */
  'room:read': (event: ReadEvent) => void;
  'server:draining': (event: DrainingEvent) => void;
  'request:failed': (event: RequestFailedEvent) => void;
  /** Protocol 6.4: the socket is no longer in the room (kicked, banned). */
  'room:removed': (event: RoomRemovedEvent) => void;
  /** Protocol 6.4: the room's settings changed. */
  'room:settings': (event: RoomSettingsEvent) => void;
  /** Protocol 6.5: a conversation of an inbox this staff socket listed changed. */
  'inbox:update': (event: InboxUpdateEvent) => void;
}

/** Protocol 6.5: a visitor's support conversation with an inbox's staff. */
export type Conversation = Static<typeof inbox.Conversation>;
export type ConversationStatus = Static<typeof inbox.ConversationStatus>;
export type OpenConversationRequest = Static<typeof inbox.OpenRequest>;
export type OpenConversationResult = Static<typeof inbox.OpenResult>;
export type InboxListStatus = Static<typeof inbox.ListStatus>;
export type InboxListRequest = Static<typeof inbox.ListRequest>;
export type InboxListResult = Static<typeof inbox.ListResult>;
export type AssignRequest = Static<typeof inbox.AssignRequest>;
export type ConversationRoomRequest = Static<typeof inbox.RoomRequest>;
export type SnoozeRequest = Static<typeof inbox.SnoozeRequest>;
export type ConversationResult = Static<typeof inbox.ConversationResult>;
export type InboxUpdateEvent = Static<typeof inbox.InboxUpdateEvent>;

export type UploadTokenRequest = Static<typeof attachments.UploadTokenRequest>;
export type UploadTokenResult = Static<typeof attachments.UploadTokenResult>;
/** `POST /api/rooms/:room/attachments` answer (201). */
export type UploadResult = Static<typeof attachments.UploadResult>;

/** `GET /api/rooms`, one room. */
export type RoomSummary = Static<typeof http.RoomSummary>;
export type RecentRoom = Static<typeof http.RecentRoom>;

/** A push to a topic, numbered 1, 2, 3, ... per topic with no gap. */
export type Push = Static<typeof common.Push>;
export type SubscribeRequest = Static<typeof push.SubscribeRequest>;
export type SubscribeResult = Static<typeof push.SubscribeResult>;
export type UnsubscribeRequest = Static<typeof push.UnsubscribeRequest>;

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
export type MessagePushData = Static<typeof push.MessagePushData>;
/** What the live-data timer pushes (event `live`) to `room:<room>` every 2 s. */
export type LivePushData = Static<typeof push.LivePushData>;
/** Pushed once (event `live.end`) to `room:<room>` when live data stops at its deadline. */
export type LiveEndData = Static<typeof push.LiveEndData>;
/** `POST /api/rooms/:room/live` answer (202). */
export type LiveResult = Static<typeof http.LiveResult>;
