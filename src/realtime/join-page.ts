import type { Page, Store } from '../store/store.js';

export interface JoinPage extends Page {
  /** The room's newest seq (0 for a room with no message). */
  lastSeq: number;
}

/**
 * The history a `room:join` returns and the room's newest seq, in one query wherever the page
 * itself shows the newest seq (a storm of rejoins costs one query each, not two):
 * - a first join reads the newest page, whose last message is the room's newest;
 * - a resume (`after` > 0) reads from `after - 1`, so the page starts with message `after`
 *   itself: the room has reached it, and a page with nothing newer still tells where it stands.
 * Only a resume with more than a page to catch up, or with an `after` the room never reached (its
 * numbering restarted), asks for the newest seq as well.
 */
export async function joinPage(store: Store, room: string, after: number | undefined, limit: number): Promise<JoinPage> {
  if (after === undefined) {
    const page = await store.history(room, { limit });
    return { ...page, lastSeq: page.messages.at(-1)?.seq ?? 0 };
  }
  const anchor = after > 0;
  const page = await store.history(room, anchor ? { after: after - 1, limit: limit + 1 } : { after, limit });
  const reached = !anchor || page.messages[0]?.seq === after;
  const newer = page.messages.filter((m) => m.seq > after);
  const messages = newer.slice(0, limit);
  const hasMore = page.hasMore || newer.length > limit;
  if (reached && !hasMore) return { messages, hasMore, lastSeq: messages.at(-1)?.seq ?? after };
  const lastSeqs = await store.lastSeqs([room]);
  return { messages, hasMore, lastSeq: lastSeqs.get(room) ?? 0 };
}
