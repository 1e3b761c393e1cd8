import { Type } from 'typebox';
import { Member, Message, roomPattern, Timestamp } from './common.js';

/** Support conversations (issue 14, protocol 6.5): a visitor's private thread with an inbox's staff. */

/** An inbox's name follows the room-name rule. */
export const Inbox = Type.String({ pattern: roomPattern, description: 'An inbox name (as a room name: 1..64 of A-Z a-z 0-9 _ -).' });

/** A conversation's room, `conv-<id>` (id: 22 base64url characters). */
export const ConversationRoom = Type.String({
  pattern: '^conv-[A-Za-z0-9_-]{22}$',
  description: "A conversation's room, `conv-<id>`.",
});

/** One `@`, no spaces, at most 254 characters: enough to reply to, not a full RFC 5322 check. */
export const Email = Type.String({
  maxLength: 254,
  pattern: '^[^@\\s]+@[^@\\s]+$',
  description: "The visitor's e-mail address (at most 254 characters, one `@`, no spaces): shown to staff and the visitor only.",
});

export const ConversationStatus = Type.Enum(['open', 'snoozed', 'closed'], {
  description: "`snoozed` until `snoozedUntil` or, without it, the visitor's next message; a snooze that has run out reads `open`.",
});

export const Conversation = Type.Object({
  room: ConversationRoom,
  notes: Type.String({ pattern: '^note-[A-Za-z0-9_-]{22}$', description: "The staff's private notes room, `note-<id>` (same id)." }),
  inbox: Inbox,
  visitor: Member,
  email: Type.Optional(Email),
  status: ConversationStatus,
  snoozedUntil: Type.Optional(Timestamp),
  assignee: Type.Optional(Member),
  lastMessage: Type.Optional(Message),
  unread: Type.Integer({
    minimum: 0,
    description: 'Visitor messages newer than the newest seq any staff member has read (`room:read`): the same for every staff member.',
  }),
  waitingSince: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: 'When the first visitor message no staff message has answered since was sent; absent when answered.',
    }),
  ),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});

export const OpenRequest = Type.Object({
  inbox: Inbox,
  create: Type.Optional(
    Type.Boolean({ description: 'Default true; `false` only returns an open conversation there is, never creates one.' }),
  ),
  email: Type.Optional(Email),
});

export const OpenResult = Type.Object({
  conversation: Type.Optional(Conversation),
  staffOnline: Type.Boolean({ description: 'A staff member of the inbox (by the `inboxes` claim, not admins) is connected, on any node.' }),
});

export const ListStatus = Type.Enum(['open', 'mine', 'unassigned', 'snoozed', 'closed'], {
  description: '`open` (default) includes snoozes that have run out; `mine` and `unassigned` are open ones by assignee.',
});

export const ListRequest = Type.Object({
  inbox: Inbox,
  status: Type.Optional(ListStatus),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'How many at most (default 50).' })),
  before: Type.Optional(Type.Integer({ minimum: 0, description: 'Only conversations updated before this `updatedAt` (the next page).' })),
});

export const ListResult = Type.Object({
  conversations: Type.Array(Conversation, { description: 'Most recently updated first.' }),
  hasMore: Type.Boolean(),
});

export const AssignRequest = Type.Object({
  room: ConversationRoom,
  user: Type.Optional(
    Type.Union([Type.String({ minLength: 1, maxLength: 128 }), Type.Null()], {
      description: 'Omitted: the caller; `null`: unassigned; a user id: a staff member of the inbox connected now.',
    }),
  ),
});

export const RoomRequest = Type.Object({ room: ConversationRoom });

/** At most 30 days ahead. */
export const maxSnoozeMs = 30 * 24 * 3600_000;

export const SnoozeRequest = Type.Object({
  room: ConversationRoom,
  until: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: "When the snooze ends, ms since the epoch (future, at most 30 days ahead); omitted: the visitor's next message.",
    }),
  ),
});

export const ConversationResult = Type.Object({ conversation: Conversation });

export const InboxUpdateEvent = Type.Object(
  { conversation: Conversation },
  {
    description:
      'A conversation of an inbox this staff socket listed changed (created, message, read, assign, close, reopen, snooze, e-mail).',
  },
);
