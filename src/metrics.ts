import { performance } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Bus } from './bus.js';

/** What the gauges read when Prometheus scrapes: nothing is counted on the way for them. */
export interface Observed {
  /** The namespaces by name (`/chat`, `/push`): their sockets on this node. */
  namespaces: Record<string, { sockets: { size: number } }>;
  /** The chat namespace's local rooms and sockets (a socket's own id is a room of the adapter too). */
  chatRooms: { rooms: Map<string, unknown>; sids: Map<string, unknown> };
  /** Both Redis connections ready; absent without REDIS_URL, and so is `roomcast_redis_up`. */
  redisUp: (() => boolean) | undefined;
  /** Webhook events waiting to be sent (0 without WEBHOOK_URL). */
  webhookQueueDepth: () => number;
}

/** Seconds: a SQLite call takes tens of µs, a PostgreSQL one about a millisecond, a stalled one seconds. */
const storeBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * This node's Prometheus metrics (protocol 6.4), in a registry of its own so that apps built in
 * one process (the tests) count apart. Counters and histograms are moved where things happen,
 * through label children made once, so a message costs no allocation of ours; gauges are read
 * at scrape time. No label is ever a room, user or address: their number is unbounded.
 */
export function createMetrics(bus: Bus) {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  const messages = new Counter({
    name: 'roomcast_messages_total',
    help: 'Messages stored by this node (sockets and the HTTP API).',
    registers,
  });
  const pushes = new Counter({
    name: 'roomcast_pushes_total',
    help: 'Pushes numbered and sent by this node (HTTP API, live data, message previews).',
    registers,
  });
  bus.on('message.created', () => messages.inc());
  bus.on('push.sent', () => pushes.inc());

  const acks = new Counter({
    name: 'roomcast_acks_total',
    help: 'Socket events answered, by event and outcome: ok or the error code (also events sent without an ack, and unknown events as event="unknown").',
    labelNames: ['event', 'code'],
    registers,
  });
  const ackChildren = new Map<string, Map<string, Counter.Internal>>();

  const refusals = new Counter({
    name: 'roomcast_handshake_refusals_total',
    help: 'Socket connections refused at the handshake, by error code (rate_limited, invalid_token, token_expired, guests_disabled...).',
    labelNames: ['code'],
    registers,
  });
  const rateLimited = new Counter({
    name: 'roomcast_rate_limited_total',
    help: 'Requests over a per-user or per-address limit, by limit (messages, connections, typing, history, new-rooms).',
    labelNames: ['limit'],
    registers,
  });
  const storeDuration = new Histogram({
    name: 'roomcast_store_duration_seconds',
    help: 'Time of store calls (SQLite or PostgreSQL), by operation, failures included.',
    labelNames: ['op'],
    buckets: storeBuckets,
    registers,
  });

  return {
    registry,

    /** Counts one answer to a socket event: `ok` or the error code. */
    answered(event: string, code: string): void {
      let byCode = ackChildren.get(event);
      if (!byCode) {
        byCode = new Map();
        ackChildren.set(event, byCode);
      }
      let child = byCode.get(code);
      if (!child) {
        child = acks.labels(event, code);
        byCode.set(code, child);
      }
      child.inc();
    },

    handshakeRefused(code: string): void {
      refusals.labels(code).inc();
    },

    /** A counter child per limit, made (and shown at 0) when the limit is. */
    rateLimitedBy(limit: string): Counter.Internal {
      rateLimited.inc({ limit }, 0);
      return rateLimited.labels(limit);
    },

    /**
     * The store with each call timed (every method but `close`, so operations added later are
     * timed too), labelled by the method's name.
     */
    timeStore<S extends object>(store: S): S {
      const timed = { ...store };
      for (const [op, method] of Object.entries(store)) {
        if (typeof method !== 'function' || op === 'close') continue;
        const observe = storeDuration.labels(op);
        Object.assign(timed, {
          [op]: async (...args: unknown[]) => {
            const start = performance.now();
            try {
              return await method.apply(store, args);
            } finally {
              observe.observe((performance.now() - start) / 1000);
            }
          },
        });
      }
      return timed;
    },

    /** Adds the gauges, read from the running parts at each scrape. */
    observe(observed: Observed): void {
      new Gauge({
        name: 'roomcast_connections',
        help: 'Sockets connected to this node, by namespace.',
        labelNames: ['namespace'],
        registers,
        collect() {
          for (const [namespace, nsp] of Object.entries(observed.namespaces)) this.set({ namespace }, nsp.sockets.size);
        },
      });
      new Gauge({
        name: 'roomcast_rooms_active',
        help: 'Chat rooms with at least one member connected to this node.',
        registers,
        collect() {
          const { rooms, sids } = observed.chatRooms;
          let active = 0;
          for (const room of rooms.keys()) if (!sids.has(room)) active++;
          this.set(active);
        },
      });
      const { redisUp } = observed;
      if (redisUp) {
        new Gauge({
          name: 'roomcast_redis_up',
          help: "1 while both of this node's Redis connections (commands and subscriber) are ready, else 0; absent without REDIS_URL.",
          registers,
          collect() {
            this.set(redisUp() ? 1 : 0);
          },
        });
      }
      new Gauge({
        name: 'roomcast_webhook_queue_depth',
        help: 'Webhook events waiting to be sent by this node, queued or waiting to retry (0 without WEBHOOK_URL).',
        registers,
        collect() {
          this.set(observed.webhookQueueDepth());
        },
      });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
