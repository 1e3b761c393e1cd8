import type { FastifyBaseLogger } from 'fastify';
import type { LiveEndData, LivePushData } from './protocol.js';
import type { Redis } from './redis.js';

/**
 * Where the deadlines of live data live, and which node runs each room's timer: at most one in
 * the whole deployment.
 */
export interface LiveClock {
  /** Moves the room's deadline; true when this node should start the timer (none runs). */
  extend(room: string, until: number): Promise<boolean>;
  /** The room's deadline (the timer's node calls it each tick, which keeps its claim). */
  deadline(room: string): Promise<number | undefined>;
  release(room: string): Promise<void>;
}

export function createMemoryLiveClock(): LiveClock {
  const deadlines = new Map<string, number>();
  return {
    async extend(room, until) {
      const running = deadlines.has(room);
      deadlines.set(room, until);
      return !running;
    },
    async deadline(room) {
      return deadlines.get(room);
    },
    async release(room) {
      deadlines.delete(room);
    },
  };
}

const extendScript = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[4])`;

/** Deadlines in Redis; the timer's node holds a claim it renews each tick, so a dead node's lapses. */
export function createRedisLiveClock(redis: Redis, prefix: string, nodeId: string, intervalMs: number): LiveClock {
  const keys = (room: string) => [`${prefix}{live:${room}}:until`, `${prefix}{live:${room}}:owner`] as const;
  const claimMs = String(intervalMs * 3);
  return {
    async extend(room, until) {
      const claimed = await redis.eval(extendScript, {
        keys: [...keys(room)],
        arguments: [String(until), nodeId, String(Math.max(until - Date.now(), 1) + intervalMs * 3), claimMs],
      });
      return claimed !== null;
    },
    async deadline(room) {
      const [untilKey, ownerKey] = keys(room);
      await redis.set(ownerKey, nodeId, { PX: Number(claimMs) });
      const until = await redis.get(untilKey);
      return until === null ? undefined : Number(until);
    },
    async release(room) {
      await redis.del([...keys(room)]);
    },
  };
}

export interface LiveDeps {
  clock: LiveClock;
  publish: (topic: string, event: string, data: LivePushData | LiveEndData) => Promise<unknown>;
  /** Whether anyone (on any node) is subscribed to a topic. */
  hasSubscribers: (topic: string) => Promise<boolean>;
  /** Sockets connected to this node. */
  connections: () => number;
  nodeName: string;
  intervalMs: number;
  durationMs: number;
  log: FastifyBaseLogger;
}

/**
 * The room page's "live data": pushes server time, node and connections to `room:<room>` every
 * interval until the deadline (then once `live.end`) or until nobody listens. One timer per room
 * at most; starting it again moves the deadline instead. Unlike the tutorial's blocking loop, a
 * tick is one push.
 */
export function createLive(deps: LiveDeps) {
  const timers = new Map<string, NodeJS.Timeout>();

  async function stop(room: string): Promise<void> {
    clearInterval(timers.get(room));
    timers.delete(room);
    await deps.clock.release(room);
  }

  async function tick(room: string): Promise<void> {
    const topic = `room:${room}`;
    const until = await deps.clock.deadline(room);
    if (until === undefined || !(await deps.hasSubscribers(topic))) return stop(room);
    if (Date.now() >= until) {
      await stop(room);
      await deps.publish(topic, 'live.end', { until });
      return;
    }
    await deps.publish(topic, 'live', {
      time: new Date().toISOString(),
      node: deps.nodeName,
      connections: deps.connections(),
    });
  }

  function run(room: string): Promise<void> {
    return tick(room).catch((err: unknown) => deps.log.warn({ err, room }, 'live data tick failed'));
  }

  return {
    /** Starts or extends live data for a room; resolves to the new deadline. */
    async start(room: string): Promise<number> {
      const until = Date.now() + deps.durationMs;
      if ((await deps.clock.extend(room, until)) && !timers.has(room)) {
        timers.set(
          room,
          setInterval(() => void run(room), deps.intervalMs),
        );
        await run(room);
      }
      return until;
    },
    /** Rooms whose timer runs on this node. */
    active: (): string[] => [...timers.keys()],
    close(): void {
      for (const timer of timers.values()) clearInterval(timer);
      timers.clear();
    },
  };
}

export type Live = ReturnType<typeof createLive>;
