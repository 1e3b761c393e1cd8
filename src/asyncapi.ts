import { type TObject, type TSchema, Type } from 'typebox';
import * as attachments from './schemas/attachments.js';
import * as chat from './schemas/chat.js';
import * as inbox from './schemas/inbox.js';
import {
  DrainingEvent,
  EmptyResult,
  ErrorBody,
  Failure,
  HandshakeAuth,
  Message,
  Push,
  RequestFailedEvent,
  SessionEvent,
  SyncHintEvent,
} from './schemas/common.js';
import * as push from './schemas/push.js';
import * as moderation from './moderation/schemas.js';

/** A client's event: its payload, and the ack's result (none for events that are never answered). */
interface Sent {
  payload: TSchema;
  result?: TObject;
  description: string;
}

/** Each namespace's events, by their Socket.IO names: the same schemas the parsers validate with. */
const namespaces: Record<'chat' | 'push', { description: string; send: Record<string, Sent>; receive: Record<string, TSchema> }> = {
  chat: {
    description: 'Chat rooms: join, send, history, typing, presence and read positions; support conversations and their inboxes.',
    send: {
      'room:join': {
        payload: chat.JoinRequest,
        result: chat.JoinResult,
        description: 'Join a room and get its latest messages (or those after `after`) and members.',
      },
      'room:leave': { payload: chat.LeaveRequest, result: EmptyResult, description: 'Leave a room.' },
      'message:send': {
        payload: chat.SendRequest,
        result: chat.SendResult,
        description: 'Send a message to a joined room (with `replyTo`, an answer to one of its messages); idempotent by `clientId`.',
      },
      'message:edit': {
        payload: chat.EditRequest,
        result: chat.SendResult,
        description:
          'Give a message a new text (its author within `EDIT_WINDOW_SECONDS`, or a moderator): an `edit` entry takes the next seq.',
      },
      'message:react': {
        payload: chat.ReactRequest,
        result: chat.SendResult,
        description:
          "Turn the user's reaction with one emoji on or off: a `reaction` entry takes the next seq; when it already is so, the answer is the message as it is and nothing is stored.",
      },
      'message:history': { payload: chat.HistoryRequest, result: chat.HistoryResult, description: "Read a room's messages by seq." },
      'typing:update': { payload: chat.TypingRequest, description: 'Say whether this user is typing; never answered.' },
      'room:read': {
        payload: chat.ReadRequest,
        result: EmptyResult,
        description: "Move this user's read position in a joined room forward; the room is told as `room:read`.",
      },
      'message:delete': {
        payload: moderation.DeleteRequest,
        result: moderation.DeleteResult,
        description: 'Delete a message (its author, or a moderator): a `delete` entry takes the next seq.',
      },
      'room:kick': {
        payload: moderation.KickRequest,
        result: EmptyResult,
        description: "A moderator removes a user's sockets from the room on every node.",
      },
      'room:configure': {
        payload: moderation.ConfigureRequest,
        result: moderation.SettingsResult,
        description: "A moderator changes the room's slow mode or read-only setting.",
      },
      'upload:token': {
        payload: attachments.UploadTokenRequest,
        result: attachments.UploadTokenResult,
        description:
          'A token (5 minutes) to upload files to a joined room with `POST /api/rooms/:room/attachments`; refused where `message:send` would be.',
      },
      'conversation:open': {
        payload: inbox.OpenRequest,
        result: inbox.OpenResult,
        description:
          "The caller's conversation in an inbox that is not closed (protocol 6.5), made unless `create: false`; then `room:join` its `room`. Tells whether staff are online.",
      },
      'inbox:list': {
        payload: inbox.ListRequest,
        result: inbox.ListResult,
        description:
          "Staff: an inbox's conversations, most recently updated first; the socket gets the inbox's `inbox:update` from then on.",
      },
      'conversation:assign': {
        payload: inbox.AssignRequest,
        result: inbox.ConversationResult,
        description:
          'Staff: assign a conversation to the caller (no `user`), a staff member of the inbox connected now, or nobody (`user: null`).',
      },
      'conversation:close': { payload: inbox.RoomRequest, result: inbox.ConversationResult, description: 'Staff: close a conversation.' },
      'conversation:reopen': {
        payload: inbox.RoomRequest,
        result: inbox.ConversationResult,
        description: 'Staff: reopen a closed or snoozed conversation (`conflict` if its visitor has opened another since).',
      },
      'conversation:snooze': {
        payload: inbox.SnoozeRequest,
        result: inbox.ConversationResult,
        description: "Staff: snooze a conversation until `until`, or without it until the visitor's next message.",
      },
    },
    receive: {
      session: SessionEvent,
      'message:new': Message,
      'typing:update': chat.TypingEvent,
      'presence:update': chat.PresenceEvent,
      'room:read': chat.ReadEvent,
      'sync:hint': SyncHintEvent,
      'server:draining': DrainingEvent,
      'request:failed': RequestFailedEvent,
      'room:removed': moderation.RoomRemovedEvent,
      'room:settings': moderation.RoomSettingsEvent,
      'inbox:update': inbox.InboxUpdateEvent,
    },
  },
  push: {
    description: 'Topics: subscribe and receive what backends push over HTTP.',
    send: {
      'push:subscribe': {
        payload: push.SubscribeRequest,
        result: push.SubscribeResult,
        description: 'Subscribe to a topic; with `after`, get the retained pushes missed since.',
      },
      'push:unsubscribe': { payload: push.UnsubscribeRequest, result: EmptyResult, description: 'Unsubscribe from a topic.' },
    },
    receive: {
      session: SessionEvent,
      'push:new': Push,
      'sync:hint': SyncHintEvent,
      'server:draining': DrainingEvent,
      'request:failed': RequestFailedEvent,
    },
  },
};

/** `room:join` → `RoomJoin`: AsyncAPI ids allow letters, digits, `-` and `_` only. */
const pascal = (event: string) =>
  event
    .split(/[:.]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

/** The ack's one argument: `{ ok: true, ...result }` or `{ ok: false, error }`. */
const ack = (result: TObject) => Type.Union([Type.Object({ ok: Type.Literal(true), ...result.properties }), Failure]);

const auth = [
  'Identity is the Socket.IO handshake `auth` object (components.schemas.HandshakeAuth), not an HTTP header:',
  "`auth.token` is a JWT (HS256) signed by the embedding site's backend; without one, a guest (where ALLOW_GUESTS is on) may give `auth.name`, and `auth.session` from its last `session` event.",
  'A refused handshake ends in `connect_error` with `message` one of `unauthorized`, `invalid_token`, `token_expired`, `guests_disabled` and `data` the `{ code, message }` error body.',
  "Every client event but `typing:update` takes an ack callback as its last argument; its reply is the ack's one argument.",
  'Sent without an ack, an event is processed all the same, and a failure comes back as `request:failed`.',
  '`null` for an optional field means the field is absent.',
].join(' ');

/**
 * The AsyncAPI 3 document of `/chat` and `/push` (served at `GET /api/asyncapi.json`), made from the
 * schemas the socket handlers validate with. Each namespace is a channel; each client event is a
 * `send` operation whose `reply` is its ack, and each server event a `receive` operation.
 */
export function buildAsyncApi(version: string) {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const [name, nsp] of Object.entries(namespaces)) {
    const messages: Record<string, unknown> = {};
    const channel = { $ref: `#/channels/${name}` };
    const ref = (key: string) => ({ $ref: `#/channels/${name}/messages/${key}` });
    for (const [event, sent] of Object.entries(nsp.send)) {
      const key = pascal(event);
      messages[key] = { name: event, title: event, summary: sent.description, payload: sent.payload };
      const operation: Record<string, unknown> = { action: 'send', channel, summary: sent.description, messages: [ref(key)] };
      if (sent.result) {
        messages[`${key}Ack`] = { name: `${event} ack`, title: `${event} ack`, payload: ack(sent.result) };
        operation.reply = { channel, messages: [ref(`${key}Ack`)] };
      }
      operations[`${name}${key}`] = operation;
    }
    for (const [event, payload] of Object.entries(nsp.receive)) {
      const key = `On${pascal(event)}`;
      messages[key] = { name: event, title: event, payload };
      operations[`${name}${key}`] = { action: 'receive', channel, messages: [ref(key)] };
    }
    channels[name] = { address: `/${name}`, title: `Socket.IO namespace /${name}`, description: nsp.description, messages };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'roomcast',
      version,
      description: `Socket.IO v4 on the server's own port, path /socket.io; each channel is a namespace, each message a Socket.IO event named by its \`name\`. ${auth}`,
    },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { schemas: { HandshakeAuth, ErrorBody } },
  };
}
