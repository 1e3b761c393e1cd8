import type { FastifyBaseLogger } from 'fastify';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts } from 'rate-limiter-flexible';
import type { Config } from './config.js';
import { AppError } from './errors.js';
import type { Metrics } from './metrics.js';
import type { Redis } from './redis.js';

/**
 * How long a limit waits for Redis before it counts in this node's memory instead. Redis answers
 * in a millisecond or two; a stalled connection would otherwise hold every send and handshake.
 */
const redisTimeoutMs = 500;

/** One limit: `points` takes per key in each window of `seconds`. */
export interface Limit {
  /** Takes `points` (default one) for `key`: 0 when there were, else the milliseconds until there will be. */
  take(key: string, points?: number): Promise<number>;
  /** Takes `points` (default one) for `key`, or throws `rate_limited` with `retryAfterMs` and `message`. */
  consume(key: string, message: string, points?: number): Promise<void>;
  /** Gives back a point taken for something that turned out not to count. */
  giveBack(key: string): Promise<void>;
}

interface LimitOptions {
  points: number;
  seconds: number;
}

/**
 * The limits per user and per address, from rate-limiter-flexible. With Redis they are shared by
 * every node (one counter per key, `<REDIS_PREFIX>limit:<name>:<key>`); without it, or while Redis
 * cannot answer within 500 ms, each node counts in its own memory: a Redis outage loosens the limits
 * to one allowance per node rather than refusing everyone or letting floods through unlimited.
 * Once a key is over, its node stops asking Redis until the window ends.
 */
export function createLimits(config: Config, redis: Redis | undefined, log: FastifyBaseLogger, metrics: Metrics) {
  function limit(name: string, { points, seconds }: LimitOptions): Limit {
    const refused = metrics.rateLimitedBy(name);
    const memory = new RateLimiterMemory({ points, duration: seconds });
    const limiter: RateLimiterAbstract = redis
      ? new RLWrapperTimeouts({
          limiter: new RateLimiterRedis({
            storeClient: redis,
            useRedisPackage: true,
            rejectIfRedisNotReady: true,
            keyPrefix: `${config.redisPrefix}limit:${name}`,
            points,
            duration: seconds,
            inMemoryBlockOnConsumed: points + 1,
          }),
          timeoutMs: redisTimeoutMs,
          insuranceLimiter: memory,
        })
      : memory;

    async function take(key: string, taken = 1): Promise<number> {
      try {
        await limiter.consume(key, taken);
        return 0;
      } catch (res) {
        if (res instanceof RateLimiterRes) {
          refused.inc();
          return Math.max(1, res.msBeforeNext);
        }
        // Neither Redis nor the memory fallback could count: a limit is no reason to fail a request.
        log.warn({ err: res, limit: name }, 'rate limit could not count; let through');
        return 0;
      }
    }

    return {
      take,
      async consume(key, message, taken) {
        const retryAfterMs = await take(key, taken);
        if (retryAfterMs > 0) throw new AppError('rate_limited', message, retryAfterMs);
      },
      async giveBack(key) {
        await limiter.reward(key).catch(() => undefined);
      },
    };
  }

  const slowModes = new Map<number, Limit>();
  /** A room's slow mode of `seconds`: one `message:send` per user and room per window (key `<room>:<user>`). */
  function slowMode(seconds: number): Limit {
    let found = slowModes.get(seconds);
    if (!found) {
      found = limit(`slow-${seconds}`, { points: 1, seconds });
      slowModes.set(seconds, found);
    }
    return found;
  }

  // Counted in windows of burst/rate seconds (at least one): `burst` at once, `rate` a second on average.
  const messageWindow = Math.max(1, Math.ceil(config.messageRateBurst / config.messageRatePerSec));
  return {
    /** `message:send` per user. */
    messages: limit('messages', { points: config.messageRatePerSec * messageWindow, seconds: messageWindow }),
    /** New connections per client address, per minute. */
    connections: limit('connections', { points: config.connectionRatePerAddress, seconds: 60 }),
    /** `typing: true` relayed per user and room. */
    typing: limit('typing', { points: 1, seconds: config.typingIntervalSeconds }),
    /**
     * History reads per user, over 5 s: a client catching up reads again at once for every gap it
     * sees, and one that rejoins many rooms reads them all at once; a minute's window would hold
     * either back for the rest of the minute.
     */
    history: limit('history', { points: config.historyRatePerSec * 5, seconds: 5 }),
    /** `room:read` broadcasts per user and room (key `<room>:<user>`): one a second, coalesced (reads.ts). */
    reads: limit('reads', { points: 1, seconds: 1 }),
    /** New rooms per client address, per hour. */
    newRooms: limit('new-rooms', { points: config.newRoomsPerAddress, seconds: 3600 }),
    slowMode,
    /** Attachment uploads per user, per minute (issue 13 point 4). */
    uploads: limit('uploads', { points: config.uploadsPerMinute, seconds: 60 }),
    /** Attachment bytes per user, per hour, counted as the upload's size. */
    uploadBytes: limit('upload-bytes', { points: config.uploadBytesPerHour, seconds: 3600 }),
  };
}

export type Limits = ReturnType<typeof createLimits>;
