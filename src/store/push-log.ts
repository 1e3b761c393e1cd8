import { randomBytes } from 'node:crypto';
import type { Push } from '../protocol.js';

export interface Recovery {
  /** Retained pushes after the asked seq, oldest first. */
  missed: Push[];
  lastSeq: number;
  /** Some pushes after the asked seq are no longer retained. */
  truncated: boolean;
  /** The topic's epoch: changes exactly when its numbering restarts. */
  epoch: string;
}

/**
 * Numbers each topic's pushes 1, 2, 3, ... and keeps the recent ones so a reconnecting client can
 * recover what it missed: per topic the last `count` of the last `maxAgeMs`, and of all topics
 * together at most `maxBytes`, the oldest dropped first. In memory for one node, in Redis for several.
 */
export interface PushLog {
  append(topic: string, event: string, data: unknown): Promise<Push>;
  /** What came after `after`; without `after`, nothing but the lastSeq and the epoch. */
  since(topic: string, after: number | undefined): Promise<Recovery>;
  close(): Promise<void>;
}

/** What a client that holds `after` gets from the retained pushes of a topic at `lastSeq`. */
export function recovery(retained: readonly Push[], after: number, lastSeq: number): Omit<Recovery, 'epoch'> {
  const missed = retained.filter((p) => p.seq > after && p.seq <= lastSeq);
  // A client ahead of the server (its seq is from before a restart) cannot be caught up either.
  const truncated = after > lastSeq || (missed[0]?.seq ?? lastSeq + 1) > after + 1;
  return { missed, lastSeq, truncated };
}

export interface RetentionOptions {
  /** Pushes kept per topic. */
  count: number;
  /** How long a push is kept, in ms. */
  maxAgeMs: number;
  /** Bytes of JSON kept of all topics together. */
  maxBytes: number;
  now?: () => number;
}

/** A new random epoch: 16 URL-safe characters. */
export function newEpoch(): string {
  return randomBytes(12).toString('base64url');
}

export function createMemoryPushLog({ count, maxAgeMs, maxBytes, now = Date.now }: RetentionOptions): PushLog {
  // Every topic's numbering starts again with the process: one epoch for all of them.
  const epoch = newEpoch();
  // Counters outlive retained pushes: a topic's seq must never start again at 1, or clients that
  // hold a higher seq would take new pushes for old ones.
  const lastSeqs = new Map<string, number>();
  const retained = new Map<string, Push[]>();
  // Every retained push with its size, in the order they came (a Map keeps insertion order): the
  // first is the oldest of all topics, and the oldest of its own topic.
  const sizes = new Map<Push, number>();
  let bytes = 0;

  function forget(pushes: readonly Push[]): void {
    for (const push of pushes) {
      bytes -= sizes.get(push) ?? 0;
      sizes.delete(push);
    }
  }

  function expire(topic: string, pushes: Push[]): Push[] {
    const cutoff = now() - maxAgeMs;
    let drop = Math.max(0, pushes.length - count);
    while (drop < pushes.length && (pushes[drop] as Push).ts <= cutoff) drop++;
    if (drop === 0) return pushes;
    forget(pushes.slice(0, drop));
    const kept = pushes.slice(drop);
    if (kept.length === 0) retained.delete(topic);
    else retained.set(topic, kept);
    return kept;
  }

  /** Drops the oldest pushes, whatever their topic, until the rest fit in `maxBytes`. */
  function fit(): void {
    for (const [oldest] of sizes) {
      if (bytes <= maxBytes) return;
      const pushes = retained.get(oldest.topic) ?? [];
      pushes.shift();
      if (pushes.length === 0) retained.delete(oldest.topic);
      forget([oldest]);
    }
  }

  const sweep = setInterval(() => {
    for (const [topic, pushes] of retained) expire(topic, pushes);
  }, 60_000);
  sweep.unref();

  return {
    async append(topic, event, data) {
      const seq = (lastSeqs.get(topic) ?? 0) + 1;
      lastSeqs.set(topic, seq);
      const push: Push = { id: `${topic}:${seq}`, seq, topic, event, data, ts: now() };
      if (count > 0 && maxAgeMs > 0) {
        const pushes = retained.get(topic) ?? [];
        pushes.push(push);
        sizes.set(push, Buffer.byteLength(JSON.stringify(push)));
        bytes += sizes.get(push) ?? 0;
        retained.set(topic, expire(topic, pushes));
        fit();
      }
      return push;
    },

    async since(topic, after) {
      const lastSeq = lastSeqs.get(topic) ?? 0;
      if (after === undefined || after === lastSeq) return { missed: [], lastSeq, truncated: false, epoch };
      return { ...recovery(expire(topic, retained.get(topic) ?? []), after, lastSeq), epoch };
    },

    async close() {
      clearInterval(sweep);
    },
  };
}
