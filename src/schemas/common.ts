import { Type } from 'typebox';

/**
 * What both namespaces and the HTTP API share. Each schema here is the one source of a payload:
 * Ajv validates with it, `src/protocol.ts` takes its type from it, and the OpenAPI and AsyncAPI
 * documents publish it.
 */

export const roomPattern = '^[A-Za-z0-9_-]{1,64}$';
export const topicPattern = '^[A-Za-z0-9_.:-]{1,128}$';

export const Room = Type.String({ pattern: roomPattern, description: 'A room name.' });
export const Topic = Type.String({ pattern: topicPattern, description: 'A push topic.' });

/**
 * A seq a client names or the server reports. Bounded where a JavaScript number stops being exact,
 * so no store sees a seq it cannot hold. (A function, not a shared schema: TypeBox keeps a
 * schema's kind in hidden properties that a spread to change its description would lose.)
 */
export const seq = (description: string) => Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description });
export const limit = (description: string) => Type.Integer({ minimum: 1, description });

/** Server time, ms since the epoch. */
export const Timestamp = Type.Integer({ minimum: 0, description: 'Server time, ms since the epoch.' });

export const ErrorCode = Type.Enum(
  [
    'bad_request',
    'unauthorized',
    'invalid_token',
    'token_expired',
    'guests_disabled',
    'forbidden',
    'not_found',
    'rate_limited',
    'too_large',
    'conflict',
    'unavailable',
    'internal',
  ],
  { description: 'The closed set of error codes, in acks, HTTP bodies and `connect_error.data`.' },
);

export const ErrorBody = Type.Object({
  code: ErrorCode,
  message: Type.String({ description: 'A sentence for people; never parse it.' }),
  retryAfterMs: Type.Optional(Type.Integer({ minimum: 0, description: 'With `rate_limited`: how long to wait before trying again.' })),
  until: Type.Optional(
    Type.Integer({ description: "With a ban's `forbidden`: when the ban ends, ms since the epoch; absent for a ban for good." }),
  ),
});

/** A refused ack, and the body of every HTTP error. */
export const Failure = Type.Object(
  { ok: Type.Literal(false), error: ErrorBody },
  { description: 'Refused: the error code and a sentence, with the status that matches the code.' },
);

export const Member = Type.Object({
  id: Type.String({ description: "The user id: a token's `sub`, `guest_<random>`, or `system`." }),
  name: Type.String({ description: 'The display name, cleaned, 1..40 characters.' }),
  kind: Type.Enum(['user', 'guest', 'system']),
  staff: Type.Optional(
    Type.Literal(true, {
      description:
        "A message's author in a support conversation (`conv-`/`note-` room) who is staff of its inbox or an admin (issue 14); set by the server only.",
    }),
  ),
});

/** An attachment's id: 128 random bits, base64url; unguessable, so a public room's file is served by it alone. */
export const AttachmentId = Type.String({
  pattern: '^[A-Za-z0-9_-]{22}$',
  description: "An uploaded file's id (22 characters, unguessable).",
});

/** A file uploaded to a room (`POST /api/rooms/:room/attachments`), as a message carries it. */
export const Attachment = Type.Object({
  id: AttachmentId,
  name: Type.String({ description: 'The file name as uploaded, cleaned (no path, no control characters, at most 120 characters).' }),
  type: Type.String({ description: "The media type read from the bytes (never the client's word), e.g. `image/png`." }),
  size: Type.Integer({ minimum: 1, description: 'Bytes.' }),
  url: Type.String({ description: 'Where the bytes are served, relative to the server: `/api/rooms/<room>/attachments/<id>`.' }),
  width: Type.Optional(Type.Integer({ minimum: 1, description: "An image's width in pixels, so a client reserves its box." })),
  height: Type.Optional(Type.Integer({ minimum: 1, description: "An image's height in pixels." })),
});

export const Message = Type.Object({
  id: Type.String({ description: '`<room>:<seq>`, unique across rooms, otherwise opaque.' }),
  seq: Type.Integer({ minimum: 1, description: "The room's gap-free sequence number: 1, 2, 3, ..." }),
  room: Room,
  text: Type.String({
    description: 'Plain text, cleaned and trimmed, 1..MAX_MESSAGE_LENGTH characters; empty for a message of attachments only.',
  }),
  author: Member,
  clientId: Type.Optional(Type.String({ description: "The sender's idempotency key, when it gave one." })),
  ts: Timestamp,
  type: Type.Optional(
    Type.Enum(['edit', 'delete', 'reaction'], {
      description:
        'A change entry rather than a message (protocol 6.3): `edit` gives the message `target` a new `text`, `delete` deletes it, `reaction` turns `emoji` on or off for its author. A client ignores entries of a type it does not know.',
    }),
  ),
  target: Type.Optional(Type.Integer({ minimum: 1, description: 'The seq a change entry changes.' })),
  emoji: Type.Optional(Type.String({ description: 'A `reaction` entry: one emoji, or a `:name:`.' })),
  on: Type.Optional(Type.Boolean({ description: "A `reaction` entry: whether its author's reaction is now on." })),
  replyTo: Type.Optional(Type.Integer({ minimum: 1, description: 'The seq of the message this one answers.' })),
  editedAt: Type.Optional(Type.Integer({ minimum: 0, description: 'When the message was last edited, ms since the epoch.' })),
  reactions: Type.Optional(
    Type.Record(Type.String(), Type.Array(Type.String()), {
      description: 'Who reacted with what: user ids per emoji, in the order they reacted; absent when none.',
    }),
  ),
  deleted: Type.Optional(Type.Literal(true, { description: 'The message was deleted: its text is empty.' })),
  attachments: Type.Optional(Type.Array(Attachment, { description: 'Files sent with the message (at most 10).' })),
});

export const Push = Type.Object(
  {
    id: Type.String({ description: '`<topic>:<seq>`, otherwise opaque.' }),
    seq: Type.Integer({ minimum: 1, description: "The topic's gap-free sequence number: 1, 2, 3, ..." }),
    topic: Topic,
    event: Type.String({ description: "The application's event name, e.g. `message` or `live`." }),
    data: Type.Unknown({ description: 'Any JSON value, as published.' }),
    ts: Timestamp,
  },
  { description: 'A push to a topic, numbered 1, 2, 3, ... per topic with no gap.' },
);

export const Epoch = Type.String({
  description:
    "The stream's epoch (v1.1): it changes exactly when the stream's numbering restarts. A client that sees a new epoch drops its cursor and its de-duplication state for the stream and resyncs.",
});

export const SessionEvent = Type.Object({
  user: Member,
  session: Type.String({ description: 'A signed token to send back as `auth.session` next time (a guest keeps its id).' }),
  admin: Type.Optional(Type.Literal(true, { description: "The token's `admin: true`: moderates every room (protocol 6.4)." })),
  moderates: Type.Optional(
    Type.Array(Type.String(), { description: "The rooms the token's `moderates` claim lists (`*` for every room)." }),
  ),
  inboxes: Type.Optional(
    Type.Array(Type.String(), {
      description: "The inboxes the token's `inboxes` claim makes the user staff of (`*` for every inbox; issue 14).",
    }),
  ),
});

/** Handshake `auth` object, both namespaces. Not validated by a schema: identity.ts reads it. */
export const HandshakeAuth = Type.Object({
  token: Type.Optional(
    Type.Union([Type.String(), Type.Null()], { description: 'A user JWT (HS256); `null` is the same as none (protocol 6.1).' }),
  ),
  name: Type.Optional(Type.String({ description: "A guest's chosen display name (used only without a token)." })),
  session: Type.Optional(Type.String({ description: 'The `session` a guest got last time, to keep its id.' })),
});

export const DrainingEvent = Type.Object({
  retryInMs: Type.Integer({ minimum: 0, description: 'A jittered delay before reconnecting (to another node where there is one).' }),
});

export const RequestFailedEvent = Type.Object(
  {
    event: Type.String({ description: "The event's name as sent." }),
    clientId: Type.Optional(Type.String({ description: "The payload's `clientId`, when it had one: which send failed." })),
    error: ErrorBody,
  },
  {
    description:
      'Sent to the one socket whose event, sent without an ack, failed (protocol 6.1): what an ack would have said. `typing:update` is never answered.',
  },
);

export const SyncHintEvent = Type.Object(
  {},
  {
    description:
      'This node may have missed broadcasts from other nodes (its Redis subscription was down): catch up by cursor (`message:history` or `push:subscribe` with `after`).',
  },
);

/** The `{}` result of `room:leave` and `push:unsubscribe`. */
export const EmptyResult = Type.Object({});
