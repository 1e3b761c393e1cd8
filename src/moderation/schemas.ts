import { type Static, Type } from 'typebox';
import type { Member } from '../protocol.js';
import * as chatSchemas from '../schemas/chat.js';
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
export type RoomSettingsEvent = { room: string } & RoomSettings;

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
export interface Ban {
  id: string;
  user?: string;
  /** An address as the limits count it: IPv4, or an IPv6 address's /64 (`2001:db8:1:2::/64`). */
  ip?: string;
  /** Every room when absent. */
  room?: string;
  /** The ban's end, ms since the epoch; for good when absent. */
  until?: number;
  reason?: string;
  by: Member;
  createdAt: number;
}

/** What the audit log records (protocol 6.4); each is also the webhook event `moderation.<action>`. */
export const auditActions = ['message.delete', 'room.kick', 'ban.create', 'ban.lift', 'room.configure'] as const;
export type AuditAction = (typeof auditActions)[number];

/** One moderation action, as stored and as the data of its webhook. */
export interface AuditEntry {
  /** Increasing: `GET /api/audit?after=` pages by it. */
  id: number;
  ts: number;
  actor: Member;
  action: AuditAction;
  room?: string;
  target: { seq?: number; user?: string; ip?: string; ban?: string; settings?: RoomSettings };
  reason?: string;
}

export const AuditQuery = Type.Object({
  after: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  room: Type.Optional(Room),
});
export type AuditQuery = Static<typeof AuditQuery>;

/** Server to client: this socket is no longer in `room` (protocol 6.4). */
export interface RoomRemovedEvent {
  room: string;
  reason: 'kicked' | 'banned';
  /** The moderator's reason. */
  message?: string;
  /** A ban's end, ms since the epoch; absent for a kick or a ban for good. */
  until?: number;
}
