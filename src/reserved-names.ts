import { remove as foldLookAlikes } from 'confusables';
import type { FastifyBaseLogger } from 'fastify';
import { answerWithin, type Redis } from './redis.js';

/** How long a guest's handshake waits for Redis to say whether a user has the name. */
const redisWaitMs = 500;
/** Names of users remembered by one node, at most (it starts over past this). */
const maxSeen = 100_000;

/**
 * A name as names are compared: NFKC (full-width and styled letters become plain ones), look-alikes
 * folded to their Latin letters (Cyrillic "а" is "a"), accents, case, spaces and punctuation
 * dropped. "Ｓуѕtém" and "s.y.s.t.e.m" both fold to "system".
 */
export function foldName(name: string): string {
  return foldLookAlikes(name.normalize('NFKC'))
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}]/gu, '')
    .toLowerCase();
}

export interface ReservedNamesOptions {
  /** RESERVED_NAMES: the site's and its staff's names. `System` is always reserved. */
  configured: readonly string[];
  /** Shares the names of signed-in users between nodes; without it each node knows its own. */
  redis: Redis | undefined;
  prefix: string;
  log: FastifyBaseLogger;
}

/**
 * The names guests cannot take: `System`, RESERVED_NAMES, and the name of every signed-in user the
 * servers have seen (a Redis set `<REDIS_PREFIX>user-names` of folded names, which only valid
 * tokens add to, so it grows with the site's real users; in memory without Redis).
 */
export function createReservedNames(options: ReservedNamesOptions) {
  const { redis, log } = options;
  const fixed = new Set(['System', ...options.configured].map(foldName).filter(Boolean));
  const seen = new Set<string>();
  const key = `${options.prefix}user-names`;

  return {
    /** Remembers a signed-in user's name; once per name and node. */
    remember(name: string): void {
      const folded = foldName(name);
      if (folded === '' || fixed.has(folded) || seen.has(folded)) return;
      if (seen.size >= maxSeen) seen.clear();
      seen.add(folded);
      redis?.sAdd(key, folded).catch((err: unknown) => log.debug({ err }, 'could not share a user name'));
    },

    /** Whether a guest may not take `name`: it folds to a reserved one. */
    async isReserved(name: string): Promise<boolean> {
      const folded = foldName(name);
      if (folded === '') return false;
      if (fixed.has(folded) || seen.has(folded)) return true;
      if (!redis) return false;
      // Redis unreachable: only the names this node knows hold; a guest is not kept waiting for more.
      return answerWithin(redis.sIsMember(key, folded), redisWaitMs).then(
        (found) => found === 1,
        () => false,
      );
    },
  };
}

export type ReservedNames = ReturnType<typeof createReservedNames>;
