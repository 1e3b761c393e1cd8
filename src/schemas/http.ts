import { Type } from 'typebox';
import { ClientId } from './chat.js';
import { limit, Message, Room, seq, Topic } from './common.js';

/** The HTTP API's params, queries, bodies and answers (errors are `Failure`). */

/** Ids are stored and compared as given: no control characters (PostgreSQL refuses NUL) or lone surrogates. */
const plainId = '^[^\\p{Cc}\\p{Cs}]+$';

export const Ok = Type.Object({ ok: Type.Literal(true) });

export const RoomParams = Type.Object({ room: Room });

export const RoomSummary = Type.Object({
  room: Room,
  count: Type.Integer({ minimum: 0, description: "Distinct users in the room, as `presence:update`'s `count`." }),
  members: Type.Integer({
    minimum: 0,
    deprecated: true,
    description:
      'Deprecated: the same number as `count`, kept for v1 clients; read `count`. Everywhere else `members` is a list of `Member`.',
  }),
  lastSeq: seq("The room's newest seq."),
});

export const RecentRoom = Type.Object({
  room: Room,
  lastSeq: seq("The room's newest seq."),
  lastActivity: Type.Integer({ minimum: 0, description: "When the room's newest entry was stored, ms since the epoch." }),
});

export const RoomList = Type.Object({
  rooms: Type.Array(RoomSummary, { description: 'The public rooms with someone in them, busiest first (up to 100).' }),
  recent: Type.Array(RecentRoom, {
    description: 'The public rooms with history, whether or not anyone is in them, most recently active first (up to 50).',
  }),
});

export const HistoryQuery = Type.Object({
  before: Type.Optional(seq('A seq: messages before it.')),
  after: Type.Optional(seq('A seq: messages after it.')),
  limit: Type.Optional(limit('How many messages at most (default HISTORY_LIMIT, at most HISTORY_MAX_LIMIT).')),
});

export const PostMessageBody = Type.Object({
  text: Type.String({ minLength: 1, description: 'Plain text; cleaned and trimmed, then 1..MAX_MESSAGE_LENGTH characters.' }),
  author: Type.Optional(
    Type.Object(
      {
        id: Type.String({ minLength: 1, maxLength: 128, pattern: plainId }),
        name: Type.String({ minLength: 1, maxLength: 40 }),
      },
      { description: 'Post as this user (`kind: "user"`); without it the author is `System` (`kind: "system"`).' },
    ),
  ),
  clientId: Type.Optional(ClientId),
});

export const PostMessageResult = Type.Object({ message: Message });

/** Largest number of pushes in one `POST /api/push`. */
export const maxBatch = 100;

export const PushInput = Type.Object({
  topic: Topic,
  event: Type.Optional(
    Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: "The application's event name; default `message`." }),
  ),
  data: Type.Unknown({ description: 'Any JSON value, at most 64 KB as JSON.' }),
});

export const PushBody = Type.Union([
  PushInput,
  Type.Object({ pushes: Type.Array(PushInput, { minItems: 1, maxItems: maxBatch, description: 'Accepted whole or not at all.' }) }),
]);

export const PushSent = Type.Object({
  pushes: Type.Array(Type.Object({ id: Type.String(), seq: seq("The push's seq in its topic."), topic: Topic }), {
    description: 'One per push, in the order given.',
  }),
});

export const LiveResult = Type.Object({
  ok: Type.Literal(true),
  until: Type.Integer({ description: 'When the pushes stop unless extended, ms since the epoch.' }),
});

export const AdminOverview = Type.Object({
  nodes: Type.Array(
    Type.Object({
      name: Type.String({ description: "The node's NODE_NAME." }),
      connections: Type.Object(
        { chat: Type.Integer({ minimum: 0 }), push: Type.Integer({ minimum: 0 }) },
        { description: 'Sockets connected to this node, per namespace.' },
      ),
      rooms: Type.Integer({ minimum: 0, description: 'Rooms with a socket of this node in them.' }),
      startedAt: Type.Integer({ description: 'When the node started, ms since the epoch.' }),
      rssBytes: Type.Integer({ minimum: 0, description: "The node process's resident memory." }),
    }),
    { description: 'The nodes that answered within 2 s, by name.' },
  ),
  rooms: Type.Array(
    Type.Object({
      room: Room,
      members: Type.Integer({ minimum: 0, description: 'Distinct users in the room (observing moderators are not counted).' }),
      messagesPerMinute: Type.Integer({ minimum: 0, description: 'Messages stored in the room over the last 60 s, all nodes together.' }),
      lastSeq: seq("The room's newest seq."),
    }),
    { description: 'Rooms with a socket in them or a message in the last minute (private ones too), most members first; at most 200.' },
  ),
});
