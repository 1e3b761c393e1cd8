import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { FastifyBaseLogger } from 'fastify';
import { createClient, ErrorReply, type RedisClientType } from 'redis';
import { AppError } from './errors.js';

export type Redis = RedisClientType;

export interface RedisOptions {
  url: string;
  tlsInsecure: boolean;
  sharded: boolean;
  prefix: string;
  /** Names the connections (CLIENT LIST shows `<prefix><nodeId>:commands` and `:subscriber`). */
  nodeId: string;
  log: FastifyBaseLogger;
  /** How long start-up waits for Redis before going on degraded. Default 10000. */
  connectWaitMs?: number;
}

/**
 * The node's two Redis connections: `client` runs commands and the adapter's publishes, `sub`
 * only subscribes (a subscriber connection can run nothing else). Both get error listeners before
 * connecting, keep idle connections alive for hosted Redis, and reconnect with backoff forever.
 * Commands fail at once while Redis is down (no offline queue), so callers answer `unavailable`
 * instead of hanging.
 */
export async function connectRedis(options: RedisOptions) {
  const { log } = options;
  const tls = options.url.startsWith('rediss:');
  // Redis refuses client names with spaces (NODE_NAME may have some).
  const connectionName = (role: string) => `${options.prefix}${options.nodeId}:${role}`.replace(/\s/g, '-');
  const client: Redis = createClient({
    url: options.url,
    // TLS options must sit under `socket` (a top-level `tls` is ignored); duplicate() keeps them.
    socket: {
      ...(tls ? { tls: true as const, rejectUnauthorized: !options.tlsInsecure } : {}),
      connectTimeout: 5000,
      keepAlive: true,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 5000) + Math.floor(Math.random() * 200),
    },
    // Hosted Redis closes connections idle for 300 s.
    pingInterval: 60_000,
    disableOfflineQueue: true,
    name: connectionName('commands'),
  });
  const sub: Redis = client.duplicate({ disableOfflineQueue: false, name: connectionName('subscriber') });

  // Which connections are down, to log once per outage and to tell callers when one comes back.
  const down = new Set<string>();
  const recovered: ((connection: 'commands' | 'subscriber') => void)[] = [];
  for (const [name, c] of [
    ['commands', client],
    ['subscriber', sub],
  ] as const) {
    c.on('error', (err: Error) => {
      if (!down.has(name)) log.warn({ err: err.message, connection: name }, 'Redis connection error');
      down.add(name);
    });
    c.on('reconnecting', () => log.debug({ connection: name }, 'Redis reconnecting'));
    c.on('ready', () => {
      if (!down.delete(name)) return;
      log.info({ connection: name }, 'Redis connection back');
      for (const listener of recovered) listener(name);
    });
  }

  const connected = Promise.all([client.connect(), sub.connect()]);
  connected.catch((err: unknown) => log.error({ err }, 'Redis connect failed'));
  const wait = options.connectWaitMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const ok = await Promise.race([
    connected.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), wait);
    }),
  ]).finally(() => clearTimeout(timer));
  if (ok) log.info({ tls, sharded: options.sharded, connections: 2 }, 'Redis connected');
  else log.error(`Redis did not answer within ${wait} ms: going on degraded, retrying in the background`);

  // The adapter publishes without awaiting (socket.io-redis-adapter#425 and kin): a failed publish
  // during an outage must be logged, never become an unhandled rejection that ends the process.
  const publisher = new Proxy(client, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'publish' || prop === 'sPublish') {
        return (...args: unknown[]) =>
          (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch((err: unknown) => {
            log.debug({ err: (err as Error).message }, 'Redis publish failed');
            return 0;
          });
      }
      return value.bind(target);
    },
  });
  const adapter = options.sharded
    ? createShardedAdapter(publisher, sub, { channelPrefix: `${options.prefix}sio` })
    : createAdapter(publisher, sub, { key: `${options.prefix}sio`, requestsTimeout: 2000 });

  return {
    client,
    sub,
    adapter,
    /** Throws `unavailable` when Redis does not answer (readiness). */
    async check(): Promise<void> {
      if (!client.isReady || !sub.isReady) throw new AppError('unavailable', 'Redis is unavailable.');
      await client.ping();
    },
    /**
     * Runs when a connection comes back after an outage. While `commands` was down this node's
     * publishes were lost; while `subscriber` was down it missed the other nodes' broadcasts.
     */
    onRecovered(listener: (connection: 'commands' | 'subscriber') => void): void {
      recovered.push(listener);
    },
    async close(): Promise<void> {
      await Promise.allSettled([client.close(), sub.close()]);
    },
  };
}

export type RedisConnection = Awaited<ReturnType<typeof connectRedis>>;

/**
 * Runs a Redis call, turning "Redis cannot answer" (offline, closed, timed out) into
 * `unavailable`. An error reply (a bad command or script) is a bug and stays itself.
 */
export async function redisCall<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof AppError || err instanceof ErrorReply) throw err;
    throw new AppError('unavailable', 'Redis is unavailable.');
  }
}

/**
 * A Redis answer, or `unavailable` after `ms`. node-redis times out only commands not yet written:
 * one sent to a stalled connection waits for as long as the connection does.
 */
export function answerWithin<T>(answer: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError('unavailable', 'Redis did not answer in time.')), ms);
  });
  return Promise.race([answer, late]).finally(() => clearTimeout(timer));
}

const rateLimitScript = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {current, redis.call('PTTL', KEYS[1])}`;

/** A @fastify/rate-limit store on node-redis (the plugin's own speaks ioredis), so limits hold across nodes. */
export function redisRateLimitStore(redis: Redis, prefix: string) {
  return class RedisRateLimitStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number) {
      redis.eval(rateLimitScript, { keys: [`${prefix}ratelimit:${key}`], arguments: [String(timeWindow)] }).then(
        (reply) => {
          const [current, ttl] = reply as [number, number];
          callback(null, { current, ttl });
        },
        (err: Error) => callback(err),
      );
    }
    child() {
      return this;
    }
  };
}
