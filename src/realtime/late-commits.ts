import type { Message } from '../protocol.js';
import type { AppendResult } from '../store/store.js';

/** One store call for a send with a clientId. */
export interface Attempt {
  readonly key: string;
  /** Stored as the message's ts, unique among the key's attempts: it names the attempt that stored it. */
  readonly ts: number;
  /** A retry found the message this attempt stored while this attempt was still under way. */
  found?: Message;
}

export interface LateCommitOptions {
  /** Failed attempts remembered at most; the oldest go first. Default 10000. */
  maxEntries?: number;
  /** How long a failed attempt is remembered. Default 10 minutes. */
  maxAgeMs?: number;
  now?: () => number;
}

/**
 * Finds sends that were stored but never broadcast. A store call can fail and commit all the
 * same: PostgreSQL stalled past the client-side timeout runs the query when it wakes up. The
 * sender retries with the same clientId and gets the stored message (`created: false`), which
 * on its own would never reach the room, the bus, webhooks or `room:` pushes.
 *
 * Each attempt stores its own ts (the time, moved on a millisecond when the key's last attempt
 * had it), so the stored message tells which attempt stored it. When that attempt failed on this
 * node, nobody broadcast the message, and the first answer that finds it says so, once. A retry
 * on another node, after this one died, is not recognised; the room's clients still get the
 * message by seq gap detection and resync.
 */
export function createLateCommits({ maxEntries = 10_000, maxAgeMs = 10 * 60_000, now = Date.now }: LateCommitOptions = {}) {
  const underWay = new Map<string, Attempt[]>();
  /** The last ts given to each key, while it is not in the past: later attempts get a larger one. */
  const lastTs = new Map<string, number>();
  /** Failed attempts that may have stored their message, by key and ts, oldest first. */
  const failed = new Map<string, number>();

  const idOf = (key: string, ts: number) => `${ts} ${key}`;

  function end(attempt: Attempt): void {
    const rest = (underWay.get(attempt.key) ?? []).filter((a) => a !== attempt);
    if (rest.length > 0) underWay.set(attempt.key, rest);
    else underWay.delete(attempt.key);
  }

  function remember(id: string): void {
    const cutoff = now() - maxAgeMs;
    for (const [oldest, at] of failed) {
      if (at > cutoff && failed.size < maxEntries) break;
      failed.delete(oldest);
    }
    failed.set(id, now());
  }

  /** True (once) when the attempt `id` failed here lately. */
  function take(id: string): boolean {
    const at = failed.get(id);
    if (at === undefined) return false;
    failed.delete(id);
    return at > now() - maxAgeMs;
  }

  return {
    /** Starts a store call for (room, author, clientId). */
    begin(room: string, authorId: string, clientId: string): Attempt {
      const key = JSON.stringify([room, authorId, clientId]);
      const time = now();
      for (const [k, ts] of lastTs) {
        if (ts >= time) break;
        lastTs.delete(k); // a new attempt's ts is larger anyway
      }
      const ts = Math.max(time, (lastTs.get(key) ?? 0) + 1);
      lastTs.delete(key);
      lastTs.set(key, ts);
      const attempt: Attempt = { key, ts };
      underWay.set(key, [...(underWay.get(key) ?? []), attempt]);
      return attempt;
    },

    /**
     * The attempt's store call failed. `mayHaveCommitted` is false only for a refusal. Returns the
     * message to broadcast now when a retry already found that this attempt stored it.
     */
    failed(attempt: Attempt, mayHaveCommitted: boolean): Message | undefined {
      end(attempt);
      if (attempt.found) return attempt.found;
      if (mayHaveCommitted) remember(idOf(attempt.key, attempt.ts));
      return undefined;
    },

    /**
     * The attempt's store call answered. True when the message is to be broadcast now: this
     * attempt created it, or a failed attempt of this node did.
     */
    answered(attempt: Attempt, { created, message }: AppendResult): boolean {
      end(attempt);
      if (created) return true;
      if (take(idOf(attempt.key, message.ts))) return true;
      // Stored by an attempt still under way: it broadcasts when it answers, or when it fails.
      const storer = underWay.get(attempt.key)?.find((a) => a.ts === message.ts);
      if (storer) storer.found = message;
      return false;
    },
  };
}

export type LateCommits = ReturnType<typeof createLateCommits>;
