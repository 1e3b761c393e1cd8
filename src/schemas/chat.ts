import { Type } from 'typebox';
import { AttachmentId, Epoch, limit, Member, Message, Room, seq } from './common.js';

/** `/chat` payloads: what clients send (validated) and what the server sends back. */

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
