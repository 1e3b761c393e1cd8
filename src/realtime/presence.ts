import type { Member, RoomSummary } from '../protocol.js';

interface Entry {
  member: Member;
  sockets: Set<string>;
}

export interface PresenceChange {
  /** Set when this socket is the user's first in the room. */
  joined?: Member;
  /** Set when this socket was the user's last in the room. */
  left?: Member;
  count: number;
}

/**
 * Who is in which room, by user: several sockets (tabs) of one user count once. In-process for a
 * single node; a Redis-backed one will take its place for several nodes.
 */
export function createPresence() {
  const rooms = new Map<string, Map<string, Entry>>();

  return {
    add(room: string, member: Member, socketId: string): PresenceChange {
      let users = rooms.get(room);
      if (!users) rooms.set(room, (users = new Map()));
      let entry = users.get(member.id);
      const first = !entry;
      if (!entry) users.set(member.id, (entry = { member, sockets: new Set() }));
      entry.sockets.add(socketId);
      return first ? { joined: member, count: users.size } : { count: users.size };
    },

    remove(room: string, memberId: string, socketId: string): PresenceChange | undefined {
      const users = rooms.get(room);
      const entry = users?.get(memberId);
      if (!users || !entry?.sockets.delete(socketId)) return undefined;
      if (entry.sockets.size > 0) return { count: users.size };
      users.delete(memberId);
      if (users.size === 0) rooms.delete(room);
      return { left: entry.member, count: users.size };
    },

    members(room: string): Member[] {
      return [...(rooms.get(room)?.values() ?? [])].map((e) => e.member);
    },

    /** Rooms with someone in them, busiest first. */
    busiest(max: number, include: (room: string) => boolean): Omit<RoomSummary, 'lastSeq'>[] {
      return [...rooms]
        .filter(([room]) => include(room))
        .map(([room, users]) => ({ room, members: users.size }))
        .sort((a, b) => b.members - a.members || a.room.localeCompare(b.room))
        .slice(0, max);
    },
  };
}

export type Presence = ReturnType<typeof createPresence>;
