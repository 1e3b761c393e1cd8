import type { Page, Store } from '../store/store.js';

export interface JoinPage extends Page {
  /** The room's newest seq (0 for a room with no message). */
  lastSeq: number;
}

/**
 * How long resumes wait to share one `lastSeqs` query: at 500 rejoins a second, one event-loop turn
 * rarely holds two of them, 10 ms holds about five. Nobody notices 10 ms on a join.
 */
const batchMs = 10;

interface Waiting {
  resolve(lastSeq: number): void;
  reject(err: unknown): void;
}

/**
 * The history a `room:join` returns, with the room's newest seq, for as few queries as a storm
 * of rejoins allows:
 * - a first join reads the newest page, whose last message is the room's newest: one query;
 * - a resume (`after`) first asks the room's newest seq, together with every other resume of the
 *   next 10 ms (one `lastSeqs` query for all their rooms), and reads history only when
 *   the room has moved past `after`: after a node goes away, most of its clients missed nothing.
 * The socket has joined the room before this runs, so a message stored after the newest seq was
 * read reaches it live.
 */
export function createJoinPages(store: Store) {
  let batch: Map<string, Waiting[]> | undefined;

  async function ask(rooms: Map<string, Waiting[]>): Promise<void> {
    try {
      const lastSeqs = await store.lastSeqs([...rooms.keys()]);
      for (const [room, waiting] of rooms) for (const w of waiting) w.resolve(lastSeqs.get(room) ?? 0);
    } catch (err) {
      for (const waiting of rooms.values()) for (const w of waiting) w.reject(err);
    }
  }

  function lastSeq(room: string): Promise<number> {
    if (!batch) {
      const rooms = new Map();
      batch = rooms;
      setTimeout(() => {
        batch = undefined;
        void ask(rooms);
      }, batchMs);
    }
    const rooms = batch;
    return new Promise((resolve, reject) => {
      const waiting = rooms.get(room);
      if (waiting) waiting.push({ resolve, reject });
      else rooms.set(room, [{ resolve, reject }]);
    });
  }

  return async function joinPage(room: string, after: number | undefined, limit: number): Promise<JoinPage> {
    if (after === undefined) {
      const page = await store.history(room, { limit });
      return { ...page, lastSeq: page.messages.at(-1)?.seq ?? 0 };
    }
    const newest = await lastSeq(room);
    // Not past `after`: nothing was missed (or the room's numbering restarted below it).
    if (newest <= after) return { messages: [], hasMore: false, lastSeq: newest };
    const page = await store.history(room, { after, limit });
    return { ...page, lastSeq: Math.max(newest, page.messages.at(-1)?.seq ?? 0) };
  };
}
