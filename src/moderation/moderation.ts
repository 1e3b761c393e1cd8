import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyBaseLogger } from 'fastify';
import type { RoomAccess } from '../access.js';
import type { Bus } from '../bus.js';
import { addressKey } from '../client-address.js';
import { AppError } from '../errors.js';
import { type Identity, mayModerate } from '../identity.js';
import type { Member, Message } from '../protocol.js';
import type { ChatNamespace, SocketData } from '../realtime/chat.js';
import type { Presence } from '../realtime/presence.js';
import type { PushNamespace } from '../realtime/push.js';
import type { Store } from '../store/store.js';
import { isRoomName, plainText } from '../validation.js';
import type { Bans } from './bans.js';
import type { RoomRules } from './room-rules.js';
import type {
  AuditAction,
  AuditEntry,
  AuditQuery,
  Ban,
  BanRequest,
  ConfigureRequest,
  DeleteRequest,
  KickRequest,
  RoomRemovedEvent,
  RoomSettings,
} from './schemas.js';

/** Whose sockets leave which rooms: by user id (a guest id too) or client address. */
export interface RemoveOrder {
  user?: string;
  address?: string;
  /** Every room the socket is in when absent. */
  room?: string;
  event: Omit<RoomRemovedEvent, 'room'>;
}

/** What the nodes of a cluster tell each other through the adapter (`serverSideEmit`). */
export interface ModerationServerEvents {
  'moderation:remove': (order: RemoveOrder) => void;
  'moderation:settings': (room: string, settings: RoomSettings) => void;
  'moderation:ban': (ban: Ban) => void;
  'moderation:lift': (id: string) => void;
}

export interface ModerationDeps {
  nsp: ChatNamespace;
  /** `/push`: a ban takes the banned sockets off the rooms' `room:<room>` topics too. */
  push: PushNamespace;
  store: Store;
  /** Who may see a room (access.ts): an author deleting their own message must still be let in. */
  access: RoomAccess;
  presence: Presence;
  rules: RoomRules;
  bans: Bans;
  bus: Bus;
  log: FastifyBaseLogger;
  /** Makes one of this node's sockets leave a room as `room:leave` would (presence, typing). */
  leave(socketId: string, room: string): void;
  /** Several nodes share the rooms (an adapter over Redis): orders go to the others too. */
  clustered: boolean;
}

/** A reason as it is kept and shown: plain text, trimmed; empty is none. */
function cleanReason(reason: string | undefined): string | undefined {
  const text = reason === undefined ? '' : plainText(reason).trim();
  return text === '' ? undefined : text;
}

/** Throws `forbidden` unless `who` moderates the room. */
export function mustModerate(who: Identity, room: string): void {
  if (!mayModerate(who, room)) throw new AppError('forbidden', `You do not moderate ${room}.`);
}

/** The moderation actions of protocol 6.4, shared by the socket events and the HTTP routes. */
export function createModeration(deps: ModerationDeps) {
  const { nsp, store, presence, rules, bans } = deps;

  /**
   * Records an action in the audit log and sends it as the webhook `moderation.<action>`. The action
   * is done already: an audit log that cannot be written is logged, and does not undo or fail it.
   */
  async function audit(
    who: Identity,
    action: AuditAction,
    room: string | undefined,
    target: AuditEntry['target'],
    reason: string | undefined,
  ): Promise<void> {
    const entry = {
      ts: Date.now(),
      actor: who.user,
      action,
      ...(room === undefined ? {} : { room }),
      target,
      ...(reason === undefined ? {} : { reason }),
    };
    try {
      deps.bus.emit(`moderation.${action}`, await store.addAudit(entry));
    } catch (err) {
      deps.log.error({ err, action, room }, 'audit entry not stored');
    }
  }

  /** This node's part of an order: its matching sockets leave and are told why. */
  function removeLocal(order: RemoveOrder): void {
    const covers = ({ identity, address }: SocketData) =>
      order.user !== undefined ? identity.user.id === order.user : address === order.address;
    for (const socket of nsp.sockets.values()) {
      if (!covers(socket.data)) continue;
      for (const room of order.room === undefined ? [...socket.rooms] : [order.room]) {
        // Rooms only: not the socket's own, nor an inbox's staff rooms (protocol 6.5).
        if (room === socket.id || !isRoomName(room) || !socket.rooms.has(room)) continue;
        deps.leave(socket.id, room);
        socket.emit('room:removed', { room, ...order.event });
      }
    }
    // A kick is from the conversation; a ban from what the room publishes too (its previews).
    if (order.event.reason !== 'banned') return;
    for (const socket of deps.push.sockets.values()) {
      if (!covers(socket.data)) continue;
      for (const topic of socket.rooms) {
        if (topic.startsWith('room:') && (order.room === undefined || topic === `room:${order.room}`)) void socket.leave(topic);
      }
    }
  }

  /** Every node's matching sockets leave at once: this one's now, the others' when the adapter delivers. */
  function remove(order: RemoveOrder): void {
    removeLocal(order);
    if (deps.clustered) nsp.serverSideEmit('moderation:remove', order);
  }
  nsp.on('moderation:remove', removeLocal);

  /**
   * Deletes a message by its author or a moderator of the room: a `delete` entry, broadcast as
   * `message:new` when new; deleting again returns the first entry and broadcasts nothing.
   */
  async function deleteMessage(who: Identity, { room, seq, reason }: DeleteRequest): Promise<Message> {
    const moderator = mayModerate(who, room);
    if (!moderator) await deps.access.must(who, room);
    const [target] = (await store.history(room, { after: seq - 1, before: seq + 1, limit: 1 })).messages;
    if (!target || target.type !== undefined) throw new AppError('not_found', `${room} has no message ${seq}.`);
    if (!moderator && target.author.id !== who.user.id) {
      throw new AppError('forbidden', 'Only its author or a moderator of the room may delete a message.');
    }
    const result = await store.change({ type: 'delete', room, seq, author: who.user });
    if (!result) throw new AppError('not_found', `${room} has no message ${seq}.`);
    if (result.created) {
      nsp.to(room).emit('message:new', result.message);
      deps.bus.emit('message.deleted', { message: result.message });
      // An author deleting their own message is no moderation.
      if (target.author.id !== who.user.id) await audit(who, 'message.delete', room, { seq }, cleanReason(reason));
    }
    return result.message;
  }

  /** Every socket of the user, on every node, leaves the room and gets `room:removed`; they may join again. */
  async function kick(who: Identity, { room, user, reason }: KickRequest): Promise<void> {
    mustModerate(who, room);
    if (!(await presence.members(room)).some((member) => member.id === user)) {
      throw new AppError('not_found', `${user} is not in ${room}.`);
    }
    const message = cleanReason(reason);
    remove({ user, room, event: { reason: 'kicked', ...(message === undefined ? {} : { message }) } });
    await audit(who, 'room.kick', room, { user }, message);
  }

  /** Changes a room's settings: stored, known to every node at once, and broadcast to the room. */
  async function configure(who: Identity, { room, ...patch }: ConfigureRequest): Promise<RoomSettings> {
    mustModerate(who, room);
    if ((await store.lastSeqs([room])).get(room) === 0) throw new AppError('not_found', `${room} has no messages.`);
    const settings = await store.configureRoom(room, patch);
    rules.remember(room, settings);
    if (deps.clustered) nsp.serverSideEmit('moderation:settings', room, settings);
    nsp.to(room).emit('room:settings', { room, ...settings });
    await audit(who, 'room.configure', room, { settings }, undefined);
    return settings;
  }
  nsp.on('moderation:settings', rules.remember);

  /**
   * Bans a user id or an address, from a room or every room, for a time or for good: stored, in
   * force on every node at once, and the sockets it covers leave those rooms with `room:removed`.
   * A room's moderator bans users from that room; an address or every room needs an admin.
   */
  async function ban(who: Identity, { user, ip, room, until, reason }: BanRequest): Promise<Ban> {
    if ((user === undefined) === (ip === undefined)) throw new AppError('bad_request', 'Give exactly one of user and ip.');
    if (ip !== undefined && isIP(ip.replace(/%.*$/, '')) === 0) throw new AppError('bad_request', 'ip must be an IPv4 or IPv6 address.');
    if (until !== undefined && until <= Date.now()) throw new AppError('bad_request', 'until must be in the future.');
    if (room === undefined || ip !== undefined) {
      if (!who.admin) throw new AppError('forbidden', 'Only an admin may ban an address or from every room.');
    } else {
      mustModerate(who, room);
    }
    const message = cleanReason(reason);
    const made: Ban = {
      id: randomUUID(),
      ...(user === undefined ? {} : { user }),
      // Counted like the limits count it: an IPv6 address's whole /64.
      ...(ip === undefined ? {} : { ip: addressKey(ip) }),
      ...(room === undefined ? {} : { room }),
      ...(until === undefined ? {} : { until }),
      ...(message === undefined ? {} : { reason: message }),
      by: who.user,
      createdAt: Date.now(),
    };
    await store.addBan(made);
    bans.add(made);
    if (deps.clustered) nsp.serverSideEmit('moderation:ban', made);
    const event = { reason: 'banned' as const, ...(message === undefined ? {} : { message }), ...(until === undefined ? {} : { until }) };
    remove({ ...(made.user === undefined ? { address: made.ip } : { user: made.user }), ...(room === undefined ? {} : { room }), event });
    const target = { ban: made.id, ...(made.user === undefined ? { ip: made.ip } : { user: made.user }) };
    await audit(who, 'ban.create', room, target, message);
    return made;
  }
  nsp.on('moderation:ban', bans.add);

  /** Whether `who` may see and lift the ban: an admin any, a moderator those of their rooms. */
  function oversees(who: Identity, ban: Ban): boolean {
    return who.admin || (ban.room !== undefined && mayModerate(who, ban.room));
  }

  /** Lifts a ban in force, on every node at once; an unknown or lifted one is `not_found`. */
  async function lift(who: Identity, id: string): Promise<Ban> {
    // Made on another node a moment ago, its adapter message may not be here yet: the store knows.
    const held = bans.get(id) ?? (await store.activeBans(Date.now())).find((ban) => ban.id === id);
    if (!held) throw new AppError('not_found', `No ban ${id} is in force.`);
    if (!oversees(who, held)) throw new AppError('forbidden', 'You may lift only the bans of rooms you moderate.');
    const lifted = await store.liftBan(id, Date.now());
    if (!lifted) throw new AppError('not_found', `No ban ${id} is in force.`);
    bans.drop(id);
    if (deps.clustered) nsp.serverSideEmit('moderation:lift', id);
    await audit(
      who,
      'ban.lift',
      lifted.room,
      { ban: id, ...(lifted.user === undefined ? { ip: lifted.ip } : { user: lifted.user }) },
      undefined,
    );
    return lifted;
  }
  nsp.on('moderation:lift', bans.drop);

  /** The bans in force that `who` oversees, newest first; with `room`, those that cover it. */
  function listBans(who: Identity, room: string | undefined): Ban[] {
    if (room !== undefined) mustModerate(who, room);
    return bans.list().filter((ban) => oversees(who, ban) && (room === undefined || ban.room === undefined || ban.room === room));
  }

  /** Who is in the room on every node, with the addresses they connect from (admin only). */
  async function members(who: Identity, room: string): Promise<(Member & { addresses: string[] })[]> {
    if (!who.admin) throw new AppError('forbidden', "Only an admin may see members' addresses.");
    const found = new Map<string, Member & { addresses: string[] }>();
    for (const socket of await nsp.in(room).fetchSockets()) {
      const { identity, address } = socket.data;
      const entry = found.get(identity.user.id) ?? { ...identity.user, addresses: [] };
      if (!entry.addresses.includes(address)) entry.addresses.push(address);
      found.set(identity.user.id, entry);
    }
    return [...found.values()];
  }

  /** The audit log, oldest first after `after`: an admin's whole, a moderator's of one room they moderate. */
  function auditLog(who: Identity, { after, limit, room }: AuditQuery) {
    if (room === undefined) {
      if (!who.admin) throw new AppError('forbidden', 'Name a room you moderate: only an admin reads the whole audit log.');
    } else {
      mustModerate(who, room);
    }
    return store.audit({ after, room, limit: limit ?? 50 });
  }

  return { deleteMessage, kick, configure, ban, lift, listBans, members, auditLog, remove };
}

export type Moderation = ReturnType<typeof createModeration>;
