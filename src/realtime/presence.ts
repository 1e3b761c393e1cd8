import type { Member, RoomSummary } from '../protocol.js';
import { isListed } from '../room-listing.js';

export interface PresenceChange {
  /** Set when this socket is the user's first in the room (on any node). */
  joined?: Member;
  /** Set when this socket was the user's last in the room (on any node). */
  left?: Member;
  count: number;
}

/** What a join learns in the same step: the change, and everyone in the room now. */
export interface PresenceJoin extends PresenceChange {
  members: Member[];
}

/** A user who left because the node holding their sockets died. */
export interface Departure {
  room: string;
  member: Member;
  count: number;
}

/**
 * Who is in which room, by user: several sockets (tabs) of one user count once, and the same
 * socket added twice counts once. In-process for one node (`createMemoryPresence`); in Redis for
 * several (`createRedisPresence`).
 */
export interface Presence {
  add(room: string, member: Member, socketId: string): Promise<PresenceJoin>;
  /** Undefined when the room's presence did not change: the socket was not counted, or the user has other tabs here. */
  remove(room: string, memberId: string, socketId: string): Promise<PresenceChange | undefined>;
  members(room: string): Promise<Member[]>;
  /** Listed rooms (room-listing.ts) with someone in them, busiest first. */
  busiest(max: number): Promise<Pick<RoomSummary, 'room' | 'members'>[]>;
  /** Users who left without saying so: their node died. Never called on a single node. */
  onDeparture(listener: (departure: Departure) => void): void;
  /**
   * Stops this node's part. What it still counts stays counted for as long as a node that died
   * would be (in Redis: until its alive key runs out), so users who reconnect to another node
   * meanwhile are never seen to leave; the other nodes then take back the rest as departures.
   */
  close(): Promise<void>;
}

interface Entry {
  member: Member;
  sockets: Set<string>;
}

/** This node's sockets by room and user: the whole presence of one node, or its share of a cluster's. */
export class LocalRooms {
  private readonly rooms = new Map<string, Map<string, Entry>>();

  /** `first`: the user's first socket in the room here; `more`: another tab; `again`: already counted. */
  add(room: string, member: Member, socketId: string): 'first' | 'more' | 'again' {
    let users = this.rooms.get(room);
    if (!users) {
      users = new Map();
      this.rooms.set(room, users);
    }
    const entry = users.get(member.id);
    if (!entry) {
      users.set(member.id, { member, sockets: new Set([socketId]) });
      return 'first';
    }
    if (entry.sockets.has(socketId)) return 'again';
    entry.sockets.add(socketId);
    return 'more';
  }

  /** The member when this was the user's last socket in the room here; `kept` when tabs remain. */
  remove(room: string, memberId: string, socketId: string): Member | 'kept' | undefined {
    const users = this.rooms.get(room);
    const entry = users?.get(memberId);
    if (!users || !entry?.sockets.delete(socketId)) return undefined;
    if (entry.sockets.size > 0) return 'kept';
    users.delete(memberId);
    if (users.size === 0) this.rooms.delete(room);
    return entry.member;
  }

  members(room: string): Member[] {
    return [...(this.rooms.get(room)?.values() ?? [])].map((e) => e.member);
  }

  get empty(): boolean {
    return this.rooms.size === 0;
  }

  /** Every room with its users here. */
  *entries(): IterableIterator<[string, Member[]]> {
    for (const [room, users] of this.rooms) yield [room, [...users.values()].map((e) => e.member)];
  }
}

export function createMemoryPresence(): Presence {
  const local = new LocalRooms();

  return {
    async add(room, member, socketId) {
      const first = local.add(room, member, socketId) === 'first';
      const members = local.members(room);
      return first ? { joined: member, count: members.length, members } : { count: members.length, members };
    },

    async remove(room, memberId, socketId) {
      const gone = local.remove(room, memberId, socketId);
      if (gone === undefined || gone === 'kept') return undefined;
      return { left: gone, count: local.members(room).length };
    },

    async members(room) {
      return local.members(room);
    },

    async busiest(max) {
      return [...local.entries()]
        .filter(([room]) => isListed(room))
        .map(([room, users]) => ({ room, members: users.length }))
        .sort((a, b) => b.members - a.members || a.room.localeCompare(b.room))
        .slice(0, max);
    },

    onDeparture() {},
    async close() {},
  };
}
