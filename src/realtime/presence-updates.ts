import type { Bus } from '../bus.js';
import type { Member, PresenceEvent } from '../protocol.js';

/**
 * How long a room's `presence:update`s are gathered into one (v1.1, docs/protocol.md): a change in
 * a quiet room goes out at once and opens the window; what comes in it goes out at its end.
 */
export const presenceWindowMs = 200;

interface Change {
  joined?: Member;
  left?: Member;
  count: number;
}

interface Window {
  pending: Change[];
  timer: NodeJS.Timeout;
}

/**
 * One event for a window's changes: the v1 shape for one, `joins` and `leaves` for several, as net
 * changes over the window: who is in at its end and was not at its start, and the other way round.
 * A user who joined and left within it (or left and came back) is in neither.
 */
export function presenceEvent(room: string, changes: readonly Change[]): PresenceEvent {
  const count = (changes.at(-1) as Change).count;
  const [only] = changes;
  if (changes.length === 1 && only?.joined) return { room, joined: only.joined, count };
  if (changes.length === 1 && only?.left) return { room, left: only.left, count };
  // Per user, the first and the last change: a user's changes alternate, so these two say it all.
  const users = new Map<string, { first: Change; last: Change; member: Member }>();
  for (const change of changes) {
    const member = (change.joined ?? change.left) as Member;
    const seen = users.get(member.id);
    if (seen) seen.last = change;
    else users.set(member.id, { first: change, last: change, member });
  }
  const joins: Member[] = [];
  const leaves: Member[] = [];
  for (const { first, last, member } of users.values()) {
    if (first.joined && last.joined) joins.push(last.joined);
    else if (first.left && last.left) leaves.push(member);
  }
  return { room, count, joins, leaves };
}

/**
 * Presence changes on their way out: each one to the bus at once (webhooks get one event per
 * change), and to the room's sockets at most one `presence:update` per room per window, so a
 * burst of joins (a reconnect storm) costs one broadcast per room instead of one per user.
 */
export function createPresenceUpdates(emit: (event: PresenceEvent) => void, bus: Bus) {
  const windows = new Map<string, Window>();

  function flush(room: string): void {
    const window = windows.get(room);
    if (!window) return;
    clearTimeout(window.timer);
    if (window.pending.length === 0) {
      windows.delete(room);
      return;
    }
    emit(presenceEvent(room, window.pending));
    window.pending = [];
    window.timer = later(room);
  }

  function later(room: string): NodeJS.Timeout {
    const timer = setTimeout(() => flush(room), presenceWindowMs);
    timer.unref();
    return timer;
  }

  function record(room: string, change: Change): void {
    const window = windows.get(room);
    if (window) {
      window.pending.push(change);
      return;
    }
    emit(presenceEvent(room, [change]));
    windows.set(room, { pending: [], timer: later(room) });
  }

  return {
    joined(room: string, member: Member, count: number): void {
      bus.emit('member.joined', { room, member, count });
      record(room, { joined: member, count });
    },
    left(room: string, member: Member, count: number): void {
      bus.emit('member.left', { room, member, count });
      record(room, { left: member, count });
    },
    /** Sends what is still gathered now (before the node's connections close). */
    flush(): void {
      for (const room of [...windows.keys()]) {
        flush(room);
        const window = windows.get(room);
        if (window) clearTimeout(window.timer);
        windows.delete(room);
      }
    },
  };
}

export type PresenceUpdates = ReturnType<typeof createPresenceUpdates>;
