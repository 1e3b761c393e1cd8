import type { Member, RoomSummary } from '../protocol.js';

export interface PresenceChange {
  /** Set when this socket is the user's first in the room (on any node). */
  joined?: Member;
  /** Set when this socket was the user's last in the room (on any node). */
  left?: Member;
  count: number;
}

/** A user who left because the node holding their sockets died. */
export interface Departure {
  room: string;
  member: Member;
  count: number;
}

/**
 * Who is in which room, by user: several sockets (tabs) of one user count once. In-process for
 * one node (`createMemoryPresence`); in Redis for several (`createRedisPresence`).
 */
export interface Presence {
  add(room: string, member: Member, socketId: string): Promise<PresenceChange>;
  remove(room: string, memberId: string, socketId: string): Promise<PresenceChange | undefined>;
  members(room: string): Promise<Member[]>;
  /** Public rooms with someone in them, busiest first. */
  busiest(max: number): Promise<Pick<RoomSummary, 'room' | 'members'>[]>;
  /** Users who left without saying so: their node died. Never called on a single node. */
  onDeparture(listener: (departure: Departure) => void): void;
  close(): Promise<void>;
}

interface Entry {
  member: Member;
  sockets: Set<string>;
}

export function createMemoryPresence(): Presence {
  const rooms = new Map<string, Map<string, Entry>>();

  return {
    async add(room, member, socketId) {
      let users = rooms.get(room);
      if (!users) rooms.set(room, (users = new Map()));
      let entry = users.get(member.id);
      const first = !entry;
      if (!entry) users.set(member.id, (entry = { member, sockets: new Set() }));
      entry.sockets.add(socketId);
      return first ? { joined: member, count: users.size } : { count: users.size };
    },

    async remove(room, memberId, socketId) {
      const users = rooms.get(room);
      const entry = users?.get(memberId);
      if (!users || !entry?.sockets.delete(socketId)) return undefined;
      if (entry.sockets.size > 0) return { count: users.size };
      users.delete(memberId);
      if (users.size === 0) rooms.delete(room);
      return { left: entry.member, count: users.size };
    },

    async members(room) {
      return [...(rooms.get(room)?.values() ?? [])].map((e) => e.member);
    },

    async busiest(max) {
      return [...rooms]
        .filter(([room]) => !room.startsWith('private-'))
        .map(([room, users]) => ({ room, members: users.size }))
        .sort((a, b) => b.members - a.members || a.room.localeCompare(b.room))
        .slice(0, max);
    },

    onDeparture() {},
    async close() {},
  };
}
