import { type Static, Type } from 'typebox';
import * as chatSchemas from '../schemas/chat.js';
import { Member, Message } from '../schemas/common.js';
import { roomPattern, schemaParser } from '../validation.js';

/**
 * The moderation payloads of protocol 6.4: one TypeBox schema gives the Ajv validation and the
 * TypeScript type.
 */

const Room = Type.String({ pattern: roomPattern });
// Bounded where a JavaScript number stops being exact, as every seq the server takes.
const Seq = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
/** A user id (a token's `sub`) or a guest id; without control characters, as a token's `sub`. */
const UserId = Type.String({ minLength: 1, maxLength: 128, pattern: '^[^\\p{Cc}]+$' });
/** The moderator's reason, for the audit log and the removed user. */
const Reason = Type.String({ maxLength: 500 });

export const DeleteRequest = Type.Object({ room: Room, seq: Seq, reason: Type.Optional(Reason) });
export type DeleteRequest = Static<typeof DeleteRequest>;

export const KickRequest = Type.Object({ room: Room, user: UserId, reason: Type.Optional(Reason) });
export type KickRequest = Static<typeof KickRequest>;

/** A room's rules; kept in src/schemas/chat.ts with the rest of room:join's answer, which carries it. */
export const RoomSettings = chatSchemas.RoomSettings;
export type RoomSettings = Static<typeof RoomSettings>;
export const defaultRoomSettings: RoomSettings = { slowModeSeconds: 0, readOnly: false };

/** What a moderator changes; what is absent stays. */
export const SettingsPatch = Type.Partial(RoomSettings);
export type SettingsPatch = Static<typeof SettingsPatch>;

export const ConfigureRequest = Type.Object({ room: Room, ...SettingsPatch.properties });
export type ConfigureRequest = Static<typeof ConfigureRequest>;

/** Server to client, to the room: its settings changed. */
export const RoomSettingsEvent = Type.Object({ room: Room, ...RoomSettings.properties }, { description: "The room's settings changed." });
export type RoomSettingsEvent = Static<typeof RoomSettingsEvent>;

/** HTTP: `:room`, and `:seq` of `DELETE /api/rooms/:room/messages/:seq`. */
export const RoomParams = Type.Object({ room: Room });
export const MessageParams = Type.Object({ room: Room, seq: Seq });
export const ReasonQuery = Type.Object({ reason: Type.Optional(Reason) });
export const KickBody = Type.Object({ user: UserId, reason: Type.Optional(Reason) });

/** `/chat` moderation payload parsers: the typed payload, or `bad_request`. */
export const moderationParsers = {
  delete: schemaParser<DeleteRequest>(DeleteRequest),
  kick: schemaParser<KickRequest>(KickRequest),
  configure: schemaParser<ConfigureRequest>(ConfigureRequest),
};

/** A time, ms since the epoch, as exact as a JavaScript number is. */
const Time = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });

/** `POST /api/bans`: exactly one of `user` and `ip` (checked by the action, with the address's syntax). */
export const BanRequest = Type.Object({
  user: Type.Optional(UserId),
  ip: Type.Optional(Type.String({ minLength: 2, maxLength: 64 })),
  room: Type.Optional(Room),
  until: Type.Optional(Time),
  reason: Type.Optional(Reason),
});
export type BanRequest = Static<typeof BanRequest>;
export const BansQuery = Type.Object({ room: Type.Optional(Room) });
export const BanParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f-]{36}$' }) });

/** A ban (protocol 6.4): of a user id (or guest id) or an address, from one room or all, for a time or for good. */
export const Ban = Type.Object(
  {
    id: Type.String(),
    user: Type.Optional(Type.String({ description: 'The user or guest id banned.' })),
    ip: Type.Optional(
      Type.String({ description: "An address as the limits count it: IPv4, or an IPv6 address's /64 (`2001:db8:1:2::/64`)." }),
    ),
    room: Type.Optional(Type.String({ description: 'Every room when absent.' })),
    until: Type.Optional(Type.Integer({ description: "The ban's end, ms since the epoch; for good when absent." })),
    reason: Type.Optional(Type.String()),
    by: Member,
    createdAt: Type.Integer({ description: 'ms since the epoch.' }),
  },
  { description: 'A ban of a user id (or guest id) or an address, from one room or all, for a time or for good.' },
);
export type Ban = Static<typeof Ban>;

/** What the audit log records (protocol 6.4); each is also the webhook event `moderation.<action>`. */
export const auditActions = ['message.delete', 'room.kick', 'ban.create', 'ban.lift', 'room.configure'] as const;
export type AuditAction = (typeof auditActions)[number];

/** One moderation action, as stored and as the data of its webhook. */
export const AuditEntry = Type.Object(
  {
    id: Type.Integer({ description: 'Increasing: `GET /api/audit?after=` pages by it.' }),
    ts: Type.Integer({ description: 'ms since the epoch.' }),
    actor: Member,
    action: Type.Enum(auditActions),
    room: Type.Optional(Type.String()),
    target: Type.Object({
      seq: Type.Optional(Type.Integer()),
      user: Type.Optional(Type.String()),
      ip: Type.Optional(Type.String()),
      ban: Type.Optional(Type.String()),
      settings: Type.Optional(RoomSettings),
    }),
    reason: Type.Optional(Type.String()),
  },
  { description: 'One moderation action: who, what, on what, when and why.' },
);
export type AuditEntry = Static<typeof AuditEntry>;

export const AuditQuery = Type.Object({
  after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  room: Type.Optional(Room),
});
export type AuditQuery = Static<typeof AuditQuery>;

/** Server to client: this socket is no longer in `room` (protocol 6.4). */
export const RoomRemovedEvent = Type.Object(
  {
    room: Room,
    reason: Type.Enum(['kicked', 'banned']),
    message: Type.Optional(Type.String({ description: "The moderator's reason." })),
    until: Type.Optional(Type.Integer({ description: "A ban's end, ms since the epoch; absent for a kick or a ban for good." })),
  },
  { description: 'This socket is no longer in the room: a moderator removed it.' },
);
export type RoomRemovedEvent = Static<typeof RoomRemovedEvent>;

// What the moderation events and routes answer.
export const DeleteResult = Type.Object({ message: Message }, { description: 'The `delete` entry.' });
export const SettingsResult = Type.Object({ settings: RoomSettings });
export const BanResult = Type.Object({ ban: Ban });
export const BanList = Type.Object({ bans: Type.Array(Ban) });
export const MemberList = Type.Object({
  members: Type.Array(Type.Object({ ...Member.properties, addresses: Type.Array(Type.String()) })),
});
export const AuditPage = Type.Object({ entries: Type.Array(AuditEntry), hasMore: Type.Boolean() });
export type AuditPage = Static<typeof AuditPage>;
