import type { FastifyBaseLogger } from 'fastify';
import type { LiveEndData, LivePushData } from './protocol.js';

export interface LiveDeps {
  publish: (topic: string, event: string, data: LivePushData | LiveEndData) => Promise<unknown>;
  /** Sockets subscribed to a topic. */
  subscribers: (topic: string) => number;
  /** Sockets connected to this node. */
  connections: () => number;
  nodeName: string;
  intervalMs: number;
  durationMs: number;
  log: FastifyBaseLogger;
}

/**
 * The room page's "live data": pushes server time, node and connections to `room:<room>` every
 * interval until the deadline (then once `live.end`) or until nobody listens. One timer per room at most; starting it
 * again moves the deadline instead. Unlike the tutorial's blocking loop, a tick is one push.
 */
export function createLive(deps: LiveDeps) {
  const running = new Map<string, { until: number; timer: NodeJS.Timeout }>();

  function stop(room: string): void {
    clearInterval(running.get(room)?.timer);
    running.delete(room);
  }

  function send(topic: string, event: string, data: LivePushData | LiveEndData): void {
    deps.publish(topic, event, data).catch((err: unknown) => deps.log.error({ err, topic }, 'live push failed'));
  }

  function tick(room: string): void {
    const entry = running.get(room);
    const topic = `room:${room}`;
    if (!entry || deps.subscribers(topic) === 0) return stop(room);
    if (Date.now() >= entry.until) {
      stop(room);
      return send(topic, 'live.end', { until: entry.until });
    }
    send(topic, 'live', { time: new Date().toISOString(), node: deps.nodeName, connections: deps.connections() });
  }

  return {
    /** Starts or extends live data for a room; returns the new deadline. */
    start(room: string): number {
      const until = Date.now() + deps.durationMs;
      const entry = running.get(room);
      if (entry) {
        entry.until = until;
        return until;
      }
      running.set(room, { until, timer: setInterval(() => tick(room), deps.intervalMs) });
      tick(room);
      return until;
    },
    /** Rooms with a timer, for tests and metrics. */
    active: (): string[] => [...running.keys()],
    close(): void {
      for (const room of running.keys()) stop(room);
    },
  };
}

export type Live = ReturnType<typeof createLive>;
