import { AppError } from '../errors.js';
import type { Limit } from '../limits.js';
import type { Member, ReadEvent } from '../protocol.js';
import type { Store } from '../store/store.js';

export interface ReadsDeps {
  store: Store;
  /** One broadcast a second per `<room>:<user>`, shared by the nodes (limits.ts `reads`). */
  limit: Limit;
  /** Sends the event to the room on every node (`nsp.to(room).emit`). */
  broadcast(event: ReadEvent): void;
  /** Told at once of every position that moved (a conversation's unread count follows it, protocol 6.5). */
  moved(event: ReadEvent): void;
}

/**
 * Read positions (protocol 6.3): a user's `lastReadSeq` per room, kept in the store so every device,
 * node and restart sees the same one, and told to the room as `room:read`. A position only moves
 * forward. Broadcasts are coalesced per user and room: the first goes at once, those within the
 * next second wait for its end and go as one, with the newest position, so the last is never lost.
 */
export function createReads({ store, limit, broadcast, moved }: ReadsDeps) {
  /** Positions stored and waiting for their broadcast, by `<room>:<user id>`. */
  const waiting = new Map<string, ReadEvent>();

  async function send(key: string): Promise<void> {
    const wait = await limit.take(key);
    if (wait > 0) {
      // Not holding the process at its end: the position is stored, and a join tells it.
      setTimeout(() => void send(key), wait).unref();
      return;
    }
    const event = waiting.get(key);
    waiting.delete(key);
    if (event) broadcast(event);
  }

  function announce(event: ReadEvent): void {
    const key = `${event.room}:${event.user.id}`;
    const pending = waiting.get(key);
    if (pending) {
      pending.seq = Math.max(pending.seq, event.seq);
      return;
    }
    waiting.set(key, event);
    void send(key);
  }

  return {
    /** Moves `user`'s position in `room` to `seq`; `not_found` past the room's last seq. */
    async read(user: Member, room: string, seq: number): Promise<void> {
      const mark = await store.markRead(room, user.id, seq);
      if (mark === 'beyond') throw new AppError('not_found', `${room} has no message ${seq} yet.`);
      if (mark !== 'moved') return;
      moved({ room, user, seq });
      announce({ room, user, seq });
    },

    /** What `room:join`'s ack says of reads: the user's own position and the other members'. */
    async forJoin(room: string, userId: string, members: readonly Member[]): Promise<{ lastRead: number; reads: Record<string, number> }> {
      const positions = await store.readPositions(room, [userId, ...members.filter((m) => m.id !== userId).map((m) => m.id)]);
      const lastRead = positions.get(userId) ?? 0;
      positions.delete(userId);
      return { lastRead, reads: Object.fromEntries(positions) };
    },
  };
}

export type Reads = ReturnType<typeof createReads>;
