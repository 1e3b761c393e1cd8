import { Type } from 'typebox';
import { AttachmentId, Epoch, limit, Member, Message, Room, seq } from './common.js';

/** `/chat` payloads: what clients send (validated) and what the server sends back. */

/** A message a client names (protocol 6.3): seq 1 or more, as exact as a JavaScript number is. */
const messageSeq = (description: string) => Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description });

export const ClientId = Type.String({
  minLength: 1,
  maxLength: 64,
  // Stored and compared as given: control characters (PostgreSQL refuses NUL) and lone surrogates
  // (stored as U+FFFD, so a retry would not find its first send) are refused.
  pattern: '^[^\\p{Cc}\\p{Cs}]+$',
  description:
    'Client-made (e.g. a UUID), 1..64 characters without control characters or lone surrogates: sending the same clientId again from the same user to the same room returns the first message and broadcasts nothing new.',
});

export const JoinRequest = Type.Object({
  room: Room,
  after: Type.Optional(seq('A seq: return every message after it (up to `limit`).')),
  limit: Type.Optional(limit('How many messages at most (default 50, at most 200).')),
  observe: Type.Optional(
    Type.Literal(true, {
      description:
        'A moderator of the room watches it (protocol 6.4): gets its broadcasts, is not in its presence, and may not send or type there.',
    }),
  ),
});

/** A room's rules (protocol 6.4); a room never configured has the defaults, 0 and false. */
export const RoomSettings = Type.Object({
  slowModeSeconds: Type.Integer({
    minimum: 0,
    maximum: 3600,
    description: 'Each user may send one message per this many seconds (0: no slow mode; at most 3600).',
  }),
  readOnly: Type.Boolean({ description: 'Only moderators of the room may send.' }),
});

export const JoinResult = Type.Object({
  room: Room,
  messages: Type.Array(Message, { description: 'The last `limit` messages, or those after `after`, oldest first.' }),
  members: Type.Array(Member, { description: 'Who is in the room, one entry per user.' }),
  lastSeq: seq("The room's newest seq (0 for an empty room)."),
  hasMore: Type.Boolean({ description: 'More messages remain after those returned (with `after`).' }),
  epoch: Epoch,
  settings: RoomSettings,
  editWindowSeconds: Type.Optional(
    Type.Integer({ minimum: 0, description: 'EDIT_WINDOW_SECONDS (protocol 6.3): how long after sending its author may edit a message.' }),
  ),
  maxMessageLength: Type.Optional(
    Type.Integer({
      minimum: 1,
      description: "The server's MAX_MESSAGE_LENGTH: a longer text, in characters after trimming, is `too_large`.",
    }),
  ),
  lastRead: seq("This user's read position in the room (protocol 6.3), the same on all their devices; 0 when none."),
  reads: Type.Record(Type.String(), seq('A read position.'), {
    description:
      "The read positions of the other members present who have one, by user id (yours is `lastRead`); an observer's is never among them.",
  }),
});

export const LeaveRequest = Type.Object({ room: Room });

export const SendRequest = Type.Object({
  room: Room,
  // Its length is messageText's to check, after cleaning: too long is `too_large`, as on HTTP.
  // The Engine.IO packet limit (maxPayload) bounds the raw input.
  text: Type.String({
    description: 'Plain text; cleaned and trimmed, then 1..MAX_MESSAGE_LENGTH characters (may be empty with `attachments`).',
  }),
  clientId: ClientId,
  replyTo: Type.Optional(messageSeq('The seq of the message of the room this one answers (protocol 6.3).')),
  attachments: Type.Optional(
    Type.Array(AttachmentId, {
      minItems: 1,
      maxItems: 10,
      uniqueItems: true,
      description: 'Ids of files this user uploaded to this room (`POST /api/rooms/:room/attachments`), at most 10.',
    }),
  ),
});

export const SendResult = Type.Object({ message: Message });

/** Protocol 6.3: a new text for a message, by its author within EDIT_WINDOW_SECONDS or a moderator. */
export const EditRequest = Type.Object({
  room: Room,
  seq: messageSeq('The message to edit.'),
  text: Type.String({ minLength: 1, description: 'Plain text, cleaned and limited as for `message:send`.' }),
});

/** Protocol 6.3: the user's reaction with one emoji, on or off. */
export const ReactRequest = Type.Object({
  room: Room,
  seq: messageSeq('The message to react to.'),
  emoji: Type.String({ minLength: 1, maxLength: 64, description: 'Exactly one emoji grapheme, or `:name:` (1..32 of a-z 0-9 _ + -).' }),
  on: Type.Boolean(),
});

export const HistoryRequest = Type.Object({
  room: Room,
  before: Type.Optional(seq('A seq: messages before it.')),
  after: Type.Optional(seq('A seq: messages after it.')),
  limit: Type.Optional(limit('How many messages at most.')),
});

export const HistoryResult = Type.Object({
  messages: Type.Array(Message, { description: 'Oldest first.' }),
  hasMore: Type.Boolean({ description: 'More messages remain beyond those returned.' }),
  epoch: Epoch,
});

export const TypingRequest = Type.Object({ room: Room, typing: Type.Boolean() });

export const TypingEvent = Type.Object(
  { room: Room, user: Member, typing: Type.Boolean() },
  { description: 'To the room except the sender; a `typing: true` with no follow-up expires after 5 s.' },
);

export const PresenceEvent = Type.Object(
  {
    room: Room,
    joined: Type.Optional(Member),
    left: Type.Optional(Member),
    joins: Type.Optional(Type.Array(Member, { description: 'Several changes coalesced: who is in now and was not before.' })),
    leaves: Type.Optional(Type.Array(Member, { description: 'Several changes coalesced: who was in before and is not now.' })),
    count: Type.Integer({
      minimum: 0,
      description: 'Distinct users in the room after these changes; several tabs of one user count once.',
    }),
  },
  {
    description:
      "A room's presence changes since the last event (v1.1: a node sends at most one per room per 200 ms). One change: `joined` or `left`, as in v1. Several: `joins` and `leaves`, both present, each in the order it happened.",
  },
);

export const ReadRequest = Type.Object({
  room: Room,
  seq: Type.Integer({
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    description:
      "The user has read the room up to this seq (at most the room's last seq, else `not_found`); a seq at or below the stored position changes nothing.",
  }),
});

export const ReadEvent = Type.Object(
  { room: Room, user: Member, seq: seq("The user's read position now.") },
  {
    description:
      "A member's read position moved forward (protocol 6.3): to the room, the reader's other sockets included; at most one a second per user and room, the last position within the second sent at its end.",
  },
);
